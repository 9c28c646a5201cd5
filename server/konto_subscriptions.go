package main

import (
	"errors"
	"net/http"
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

// refused answers a dashboard subscription form that cannot be taken — the account has all
// it may have, or nothing is ticked — and reports whether it did.
func (a *App) refused(c echo.Context, acc data.Account, n views.AccountNotifications, topics []data.Topic) (bool, error) {
	list, err := a.store.AccountSubscriptions(c.Request().Context(), acc.ID)
	switch {
	case err != nil:
		return true, err
	case len(list) >= maxAccountSubscriptions:
		n.Error = "Ein Konto kann höchstens " + strconv.Itoa(maxAccountSubscriptions) + " Benachrichtigungen haben; löschen Sie zuerst eine."
		return true, a.renderDashboardWith(c, http.StatusConflict, views.Dashboard{Notifications: n})
	case len(topics) == 0:
		n.Error, n.ErrorField = "Bitte wählen Sie mindestens eine Meldung aus.", "topics"
		return true, a.renderDashboardWith(c, http.StatusBadRequest, views.Dashboard{Notifications: n})
	}
	return false, nil
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
	topics := formTopics(c)
	n := views.AccountNotifications{Email: c.FormValue("email"), Topics: topics}
	if refused, err := a.refused(c, acc, n, topics); refused {
		return err
	}
	s, err := data.CheckMailSubscription(data.Subscription{Email: n.Email, Topics: topics, AccountID: acc.ID})
	if err != nil {
		n.Error, n.ErrorField = "Bitte geben Sie eine E-Mail-Adresse wie name@example.org an.", "email"
		return a.renderDashboardWith(c, http.StatusBadRequest, views.Dashboard{Notifications: n})
	}
	wait, err := a.askConfirmation(ctx, s, subscribeAccountBudget(acc.ID), subscribeClientBudget(c.RealIP()))
	switch {
	case errors.Is(err, notify.ErrPostboxFull):
		n.Error = "Gerade warten zu viele Bestätigungen auf den Versand. Bitte versuchen Sie es in einer Minute noch einmal."
		return a.renderDashboardWith(c, http.StatusServiceUnavailable, views.Dashboard{Notifications: n})
	case err != nil:
		return err
	case wait > 0:
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		n.Error = "Für diese Adresse oder von diesem Konto kamen gerade mehrere Anfragen. Bitte versuchen Sie es in " + strconv.Itoa(int(wait.Minutes())+1) + " Minuten noch einmal."
		return a.renderDashboardWith(c, http.StatusTooManyRequests, views.Dashboard{Notifications: n})
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
	topics := formTopics(c)
	n := views.AccountNotifications{URL: c.FormValue("url"), Topics: topics}
	if refused, err := a.refused(c, acc, n, topics); refused {
		return err
	}
	s, err := a.checkWebhook(data.Subscription{URL: n.URL, Topics: topics, AccountID: acc.ID})
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
