package main

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

// freeWebhooksPerClient are the webhooks one client address makes before each next must
// wait twice as long as the last (the throttle's budget in the store, which every portal
// process shares, fading after an hour).
const freeWebhooksPerClient = 5

func webhookBudget(ip string) data.Budget {
	return data.Budget{Key: "webhook:" + clientKey(ip), Free: freeWebhooksPerClient}
}

// subscriptionRequest is the body of POST /api/v1/subscriptions.
type subscriptionRequest struct {
	URL    string       `json:"url"`
	Topics []data.Topic `json:"topics"`
}

// subscriptionJSON answers a subscription: its secret and unsubscribe token only now.
type subscriptionJSON struct {
	ID               int64        `json:"id"`
	URL              string       `json:"url"`
	Topics           []data.Topic `json:"topics"`
	Secret           string       `json:"secret"`
	UnsubscribeToken string       `json:"unsubscribe_token"`
	CreatedAt        time.Time    `json:"created_at"`
}

// subscribeAPI is POST /api/v1/subscriptions: a webhook for apps and other portals hears of
// the national service going down, degraded and back up; no account needed. Its address is
// limited before the body is read; a host on an internal address is refused (and judged
// again at every delivery).
func (a *App) subscribeAPI(c echo.Context) error {
	ctx := c.Request().Context()
	// JSON only: a page of another site cannot post it without the browser asking first
	// (CORS), and the portal allows no other site.
	if media, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); media != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the subscription as Content-Type: application/json")
	}
	try, wait, err := a.throttle.reserve(ctx, webhookBudget(c.RealIP()))
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return echo.NewHTTPError(http.StatusTooManyRequests, fmt.Sprintf("too many subscriptions from this address; try again in %d minutes", int(wait.Minutes())+1))
	}
	var req subscriptionRequest
	if err := decodeBody(c, &req); err != nil {
		try.release(ctx)
		return err
	}
	s, err := a.checkWebhook(data.Subscription{URL: req.URL, Topics: req.Topics})
	if err != nil {
		try.release(ctx)
		return err
	}
	s, token, err := a.store.Subscribe(ctx, s)
	if err != nil {
		try.release(ctx)
		return err
	}
	return c.JSON(http.StatusCreated, subscriptionJSON{ID: s.ID, URL: s.URL, Topics: s.Topics, Secret: s.Secret,
		UnsubscribeToken: token, CreatedAt: s.CreatedAt.UTC().Truncate(time.Second)})
}

// checkWebhook checks a webhook subscription, and refuses a host that is an internal
// address unless the operator allows them (judged again at every delivery).
func (a *App) checkWebhook(s data.Subscription) (data.Subscription, error) {
	s, err := data.CheckSubscription(s)
	if err != nil {
		return s, err
	}
	u, _ := url.Parse(s.URL) // checked above
	if err := notify.CheckHost(u.Hostname(), a.cfg.WebhookAllowInternal); err != nil {
		return s, &data.Error{Code: data.EINVALID, Field: "url", Message: "the URL's host is a loopback, private or link-local address"}
	}
	return s, nil
}

// unsubscribeAPI is DELETE /api/v1/subscriptions with Authorization: Bearer <unsubscribe
// token>: the subscription and what it was still to hear are deleted.
func (a *App) unsubscribeAPI(c echo.Context) error {
	token, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		return data.Errorf(data.EUNAUTHORIZED, "send the unsubscribe token as Authorization: Bearer <token>")
	}
	err := a.store.Unsubscribe(c.Request().Context(), token)
	if data.ErrorCode(err) == data.ENOTFOUND {
		return data.Errorf(data.EUNAUTHORIZED, "no subscription has this token")
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// adminNotifications is GET /admin/benachrichtigungen: the outbox's counts and the
// deliveries given up, for operators to follow up.
func (a *App) adminNotifications(c echo.Context) error {
	ctx := c.Request().Context()
	counts, err := a.store.CountDeliveries(ctx)
	if err != nil {
		return err
	}
	given, err := a.store.GivenUpDeliveries(ctx, 100)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminNotificationsPage(views.AdminNotifications{Page: a.page("Benachrichtigungen", false),
		Counts: counts, GivenUp: given}))
}
