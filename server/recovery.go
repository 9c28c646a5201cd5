package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/status"
	"github.com/labstack/echo/v4"
)

// recoveryNoticeFor is how long after the national service's recovery the dashboard still
// tells a pharmacy that it can enter what it took down on paper.
const recoveryNoticeFor = 7 * 24 * time.Hour

// recoveredAt is when the national issuing service came back after its last outage: the end
// of its last automatic incident in a week, while it works now.
func (a *App) recoveredAt(ctx context.Context) (time.Time, bool, error) {
	if st, ok := a.status.Status(status.National); !ok || st.State != monitor.Operational {
		return time.Time{}, false, nil
	}
	incidents, err := a.store.Incidents(ctx, a.now().Add(-recoveryNoticeFor))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("the national service's recovery: %w", err)
	}
	var at time.Time
	for _, in := range incidents {
		switch {
		case in.Target != status.National || !in.Automatic:
		case in.ResolvedAt == nil:
			return time.Time{}, false, nil // still an outage as far as the incident says
		case in.ResolvedAt.After(at):
			at = *in.ResolvedAt
		}
	}
	return at, !at.IsZero() && a.now().Sub(at) < recoveryNoticeFor, nil
}

// recoveryNotice is what the dashboard of acc says of a recovery it has not put away:
// "14:32 Uhr" today, "15.06., 14:32 Uhr" before; empty when there is none.
func (a *App) recoveryNotice(ctx context.Context, acc data.Account) (string, error) {
	at, ok, err := a.recoveredAt(ctx)
	if err != nil || !ok {
		return "", err
	}
	dismissed, err := a.store.RecoveryNoticeDismissed(ctx, acc.ID)
	if err != nil || !at.After(dismissed) {
		return "", err
	}
	local, now := at.In(data.Berlin()), a.now().In(data.Berlin())
	if local.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return local.Format("15:04 Uhr"), nil
	}
	return local.Format("02.01., 15:04 Uhr"), nil
}

// dismissRecovery is POST /konto/hinweis: the notice of the recovery the account sees now
// goes away (the server's recovery time, not one the form sends).
func (a *App) dismissRecovery(c echo.Context) error {
	acc, err := accountOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	at, ok, err := a.recoveredAt(ctx)
	if err != nil {
		return err
	}
	if ok {
		if err := a.store.DismissRecoveryNotice(ctx, acc.ID, at); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/konto")
}
