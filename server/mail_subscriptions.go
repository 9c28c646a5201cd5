package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// Subscribing an address draws on two budgets in the store, which every portal process
// shares: the client address's and the subscribed address's (so that nobody floods a
// stranger's mailbox with confirmation requests from many addresses).
const (
	freeSubscribesPerClient  = 5
	freeSubscribesPerAddress = 2
)

func subscribeClientBudget(ip string) data.Budget {
	return data.Budget{Key: "subscribe:" + clientKey(ip), Free: freeSubscribesPerClient}
}

// subscribeAddressBudget is a mailbox's, however its address is written: name+tag@ and
// NAME@ are name@'s.
func subscribeAddressBudget(email string) data.Budget {
	email = strings.ToLower(email)
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		local, domain := email[:at], email[at:]
		if plus := strings.IndexByte(local, '+'); plus > 0 {
			local = local[:plus]
		}
		email = local + domain
	}
	return data.Budget{Key: "subscribe-to:" + email, Free: freeSubscribesPerAddress}
}

// subscribeAccountBudget is an account's, for the addresses it asks confirmations for.
func subscribeAccountBudget(account int64) data.Budget {
	return data.Budget{Key: "subscribe-account:" + strconv.FormatInt(account, 10), Free: freeSubscribesPerClient}
}

// subscribeMail is POST /status/abonnieren: an address asks to hear of the national
// service. The status page is public and cached, so its form carries no token: the post
// must come from the portal's own pages, and the client's limits are counted before the
// body is read. Whether the address was subscribed already, the answer is the same; a
// confirmation mail goes only to an address not yet confirmed.
func (a *App) subscribeMail(c echo.Context) error {
	ctx, l := c.Request().Context(), langOf(c)
	try, wait, err := a.throttle.reserve(ctx, subscribeClientBudget(c.RealIP()))
	if err != nil {
		return err
	}
	if wait > 0 {
		return a.tooManySubscribes(c, wait.Minutes(), views.MailForm{})
	}
	if err := c.Request().ParseForm(); err != nil {
		try.release(ctx)
		return err // a body past the route's limit: 413
	}
	form := views.MailForm{Email: c.FormValue("email"), Topics: formTopics(c)}
	s, err := data.CheckMailSubscription(data.Subscription{Email: form.Email, Topics: form.Topics, Lang: string(l)})
	if err != nil {
		try.release(ctx)
		return a.renderStatus(c, http.StatusBadRequest, mailFormError(l, form, err))
	}
	if len(form.Topics) == 0 {
		form.Error, form.ErrorField = l.T("Bitte wählen Sie mindestens eine Meldung aus."), "topics"
		try.release(ctx)
		return a.renderStatus(c, http.StatusBadRequest, form)
	}
	wait, err = a.askConfirmation(ctx, s)
	if err != nil {
		try.release(ctx) // nothing was done: it does not count on the client
	}
	switch {
	case errors.Is(err, notify.ErrPostboxFull):
		c.Response().Header().Set("Retry-After", "60")
		return echo.NewHTTPError(http.StatusServiceUnavailable, l.T("Gerade warten zu viele Bestätigungen auf den Versand. Bitte versuchen Sie es in einer Minute noch einmal."))
	case err != nil:
		return err
	case wait > 0:
		return a.tooManySubscribes(c, wait.Minutes(), form)
	}
	return c.Redirect(http.StatusSeeOther, l.Path("/status/abonniert"))
}

// askConfirmation keeps a checked e-mail subscription, unconfirmed, and posts its
// confirmation mail (none to an address confirmed already). It draws on the mailbox's
// budget and on the further budgets given: when one of them is spent it returns how long to
// wait, and nothing is done. ErrPostboxFull when the mail cannot be queued.
func (a *App) askConfirmation(ctx context.Context, s data.Subscription, budgets ...data.Budget) (time.Duration, error) {
	if a.postbox.Full() { // before anything is looked up: the same answer for every address
		return 0, notify.ErrPostboxFull
	}
	try, wait, err := a.throttle.reserve(ctx, append(budgets, subscribeAddressBudget(s.Email))...)
	if err != nil || wait > 0 {
		return wait, err
	}
	token, err := a.store.SubscribeMail(ctx, s)
	if err != nil || token == "" {
		if err != nil {
			try.release(ctx)
		}
		return 0, err
	}
	msg, err := a.mailer.Confirmation(s.Email, s.Lang, a.cfg.publicBase(), token, a.now())
	if err == nil {
		err = a.postbox.Post(msg)
	}
	if err != nil {
		try.release(ctx)
		a.log.Warn("confirmation mail not posted", "err", err)
		return 0, fmt.Errorf("a confirmation mail: %w", err)
	}
	return 0, nil
}

// tooManySubscribes is the status page with the form and how long to wait.
func (a *App) tooManySubscribes(c echo.Context, minutes float64, form views.MailForm) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(minutes*60)+1))
	form.Error = langOf(c).T("Für diese Adresse oder von Ihrem Anschluss kamen gerade mehrere Anfragen. Bitte versuchen Sie es in %d Minuten noch einmal.", int(minutes)+1)
	return a.renderStatus(c, http.StatusTooManyRequests, form)
}

// mailFormError says in the page's language which field of the form is wrong.
func mailFormError(l i18n.Lang, form views.MailForm, err error) views.MailForm {
	form.ErrorField = data.ErrorField(err)
	if form.ErrorField == "topics" {
		form.Error = l.T("Bitte wählen Sie mindestens eine Meldung aus.")
	} else {
		form.ErrorField, form.Error = "email", l.T("Bitte geben Sie eine E-Mail-Adresse wie name@example.org an.")
	}
	return form
}

// subscribeSent is GET /status/abonniert: the confirmation is on its way.
func (a *App) subscribeSent(c echo.Context) error {
	return render(c, http.StatusOK, views.SubscribeSentPage(views.SubscriptionStep{Page: a.page(langOf(c).T("Fast geschafft"), false)}))
}

// linkToken is a link's token from the query or the form, if it looks like one of kind's.
func linkToken(c echo.Context, prefix string) (string, bool) {
	t := c.QueryParam("t")
	return t, strings.HasPrefix(t, prefix) && len(t) <= 100
}

// postedLinkToken is a link's token from the query or, for the confirmation page's form,
// from the body; a body past the route's limit is 413, not a missing token.
func postedLinkToken(c echo.Context, prefix string) (string, bool, error) {
	if t, ok := linkToken(c, prefix); t != "" {
		return t, ok, nil
	}
	if err := c.Request().ParseForm(); err != nil {
		return "", false, err
	}
	t := c.Request().PostForm.Get("t")
	return t, strings.HasPrefix(t, prefix) && len(t) <= 100, nil
}

// confirmPage is GET /status/bestaetigen?t=…: a button to confirm, so that a mail
// scanner opening the link subscribes nobody.
func (a *App) confirmPage(c echo.Context) error {
	token, ok := linkToken(c, "confirm_")
	return render(c, http.StatusOK, views.ConfirmSubscriptionPage(views.SubscriptionStep{
		Page: a.page(langOf(c).T("Abonnement bestätigen"), false), Token: token, Invalid: !ok}))
}

// confirm is POST /status/bestaetigen: the address is confirmed and hears from now on.
func (a *App) confirm(c echo.Context) error {
	return a.followLink(c, "confirm_", langOf(c).T("Abonnement bestätigen"), func(ctx context.Context, token string) error {
		_, err := a.store.ConfirmSubscription(ctx, token)
		return err
	}, views.ConfirmSubscriptionPage)
}

// followLink acts on the token of a link in a mail and says how it went: done, or (404)
// that the link's token is none, or no longer.
func (a *App) followLink(c echo.Context, prefix, title string, act func(context.Context, string) error,
	page func(views.SubscriptionStep) templ.Component) error {
	step := views.SubscriptionStep{Page: a.page(title, false)}
	token, ok, err := postedLinkToken(c, prefix)
	if err != nil {
		return err
	}
	if ok {
		err := act(c.Request().Context(), token)
		if err != nil && data.ErrorCode(err) != data.ENOTFOUND {
			return err
		}
		ok = err == nil
	}
	if !ok {
		step.Invalid = true
		return render(c, http.StatusNotFound, page(step))
	}
	step.Done = true
	return render(c, http.StatusOK, page(step))
}

// unsubscribePage is GET /status/abmelden?t=…: a button to unsubscribe.
func (a *App) unsubscribePage(c echo.Context) error {
	token, ok := linkToken(c, "unsub_")
	return render(c, http.StatusOK, views.UnsubscribePage(views.SubscriptionStep{
		Page: a.page(langOf(c).T("Abmelden"), false), Token: token, Invalid: !ok}))
}

// unsubscribe is POST /status/abmelden?t=…: the page's button, or a mail program's
// one-click unsubscribe (RFC 8058: a POST with List-Unsubscribe=One-Click, no cookie, no
// origin). The link's token is the authority, so no same-origin check: the subscription
// and the address are deleted.
func (a *App) unsubscribe(c echo.Context) error {
	return a.followLink(c, "unsub_", langOf(c).T("Abmelden"), a.store.Unsubscribe, views.UnsubscribePage)
}
