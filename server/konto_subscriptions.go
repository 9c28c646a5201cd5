package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

// formTopics are the topics ticked in a subscription form.
func formTopics(c echo.Context) []data.Topic {
	var ts []data.Topic
	for _, t := range c.Request().PostForm["topic"] {
		ts = append(ts, data.Topic(t))
	}
	return ts
}

// maxAccountSubscriptions bounds what one account may subscribe.
const maxAccountSubscriptions = 10

// full says whether the account has all the subscriptions it may have.
func (a *App) full(c echo.Context, acc data.Account) (bool, error) {
	list, err := a.store.AccountSubscriptions(c.Request().Context(), acc.ID)
	return len(list) >= maxAccountSubscriptions, err
}

// tooMany is the dashboard's answer to one subscription too many.
func (a *App) tooMany(c echo.Context, n views.AccountNotifications) error {
	n.Error = "Ein Konto kann höchstens " + strconv.Itoa(maxAccountSubscriptions) + " Benachrichtigungen haben; löschen Sie zuerst eine."
	return a.renderDashboardWith(c, http.StatusConflict, views.Dashboard{Notifications: n})
}

// noTopic is the dashboard's answer to a subscription form with nothing ticked.
func (a *App) noTopic(c echo.Context, n views.AccountNotifications) error {
	n.Error, n.ErrorField = "Bitte wählen Sie mindestens eine Meldung aus.", "topics"
	return a.renderDashboardWith(c, http.StatusBadRequest, views.Dashboard{Notifications: n})
}

// addMailSubscription is POST /konto/benachrichtigung/email: the pharmacy's address hears
// of the national service once confirmed by the link of the mail it gets (the account
// could name anyone's address), within the same per-address limit as on /status.
func (a *App) addMailSubscription(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	if a.postbox == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	n := views.AccountNotifications{Email: c.FormValue("email")}
	if full, err := a.full(c, acc); err != nil || full {
		if err != nil {
			return err
		}
		return a.tooMany(c, n)
	}
	topics := formTopics(c)
	if len(topics) == 0 {
		return a.noTopic(c, n)
	}
	s, err := data.CheckMailSubscription(data.Subscription{Email: n.Email, Topics: topics, AccountID: acc.ID})
	if err != nil {
		n.Error, n.ErrorField = "Bitte geben Sie eine E-Mail-Adresse wie name@example.org an.", "email"
		return a.renderDashboardWith(c, http.StatusBadRequest, views.Dashboard{Notifications: n})
	}
	try, wait, err := a.throttle.reserve(ctx, subscribeAddressBudget(s.Email))
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		n.Error = "Für diese Adresse kamen gerade mehrere Anfragen. Bitte versuchen Sie es in " + strconv.Itoa(int(wait.Minutes())+1) + " Minuten noch einmal."
		return a.renderDashboardWith(c, http.StatusTooManyRequests, views.Dashboard{Notifications: n})
	}
	token, err := a.store.SubscribeMail(ctx, s)
	if err != nil {
		try.release(ctx)
		return err
	}
	if token != "" {
		msg, err := a.mailer.Confirmation(s.Email, a.cfg.publicBase(), token, a.now())
		if err == nil {
			err = a.postbox.Post(msg)
		}
		if err != nil {
			try.release(ctx)
			a.log.Warn("confirmation mail not posted", "err", err)
			n.Error = "Gerade warten zu viele Bestätigungen auf den Versand. Bitte versuchen Sie es in einer Minute noch einmal."
			return a.renderDashboardWith(c, http.StatusServiceUnavailable, views.Dashboard{Notifications: n})
		}
	}
	return a.renderDashboardWith(c, http.StatusOK, views.Dashboard{
		Notice: "Wir haben eine E-Mail mit einem Bestätigungslink geschickt; erst nach der Bestätigung (innerhalb von 24 Stunden) kommen Meldungen. Ist die Adresse schon bestätigt, bleibt alles, wie es ist."})
}

// addWebhookSubscription is POST /konto/benachrichtigung/webhook: the pharmacy software's
// webhook, signed with a secret shown once, as the API's.
func (a *App) addWebhookSubscription(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	n := views.AccountNotifications{URL: c.FormValue("url")}
	if full, err := a.full(c, acc); err != nil || full {
		if err != nil {
			return err
		}
		return a.tooMany(c, n)
	}
	topics := formTopics(c)
	if len(topics) == 0 {
		return a.noTopic(c, n)
	}
	s, err := data.CheckSubscription(data.Subscription{URL: n.URL, Topics: topics, AccountID: acc.ID})
	if err == nil {
		u, _ := url.Parse(s.URL) // checked above
		err = notify.CheckHost(u.Hostname(), a.cfg.WebhookAllowInternal)
	}
	if err != nil {
		n.Error, n.ErrorField = "Bitte geben Sie eine öffentliche http(s)-Adresse ohne Zugangsdaten an, z. B. https://software.example.org/apoportal.", "url"
		return a.renderDashboardWith(c, http.StatusBadRequest, views.Dashboard{Notifications: n})
	}
	s, token, err := a.store.Subscribe(c.Request().Context(), s)
	if err != nil {
		return err
	}
	return a.renderDashboardWith(c, http.StatusOK, views.Dashboard{Notifications: views.AccountNotifications{NewWebhook: &s, NewToken: token}})
}

// deleteSubscription is POST /konto/benachrichtigung/{id}/loeschen; another account's
// subscription is not found.
func (a *App) deleteSubscription(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := a.store.DeleteAccountSubscription(c.Request().Context(), acc.ID, id); err != nil {
		return err
	}
	return a.renderDashboardWith(c, http.StatusOK, views.Dashboard{Notice: "Benachrichtigung gelöscht."})
}
