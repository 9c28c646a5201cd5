package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"text/template"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/wneessen/go-mail"
)

// ConfirmPath and UnsubscribePath are the portal's pages behind the links in messages;
// the token travels in the query, which the access log does not keep.
const (
	ConfirmPath     = "/status/bestaetigen"
	UnsubscribePath = "/status/abmelden"
)

// headline is what a message says happened, by topic.
var headline = map[data.Topic]string{
	data.TopicDown:        "Der Ausstellungsserver ist gestört",
	data.TopicDegraded:    "Der Ausstellungsserver arbeitet eingeschränkt",
	data.TopicUp:          "Der Ausstellungsserver ist wieder erreichbar",
	data.TopicMaintenance: "Angekündigte Wartung des Ausstellungsservers",
}

// since says since when, by topic.
var since = map[data.Topic]string{
	data.TopicDown:        "Der nationale Ausstellungsserver für digitale Impfzertifikate ist seit %s gestört.",
	data.TopicDegraded:    "Der nationale Ausstellungsserver für digitale Impfzertifikate arbeitet seit %s eingeschränkt.",
	data.TopicUp:          "Der nationale Ausstellungsserver für digitale Impfzertifikate ist seit %s wieder erreichbar.",
	data.TopicMaintenance: "Der nationale Ausstellungsserver für digitale Impfzertifikate wird von %s bis %s gewartet.",
}

var detail = map[data.Topic]string{
	data.TopicDown:        "Apotheken können zurzeit keine digitalen Impfzertifikate ausstellen; sie können die Daten aufnehmen und das Zertifikat später ausstellen.",
	data.TopicDegraded:    "Der nationale Ausstellungsserver antwortet langsam oder nicht auf jede Anfrage: Ausstellen kann länger dauern oder einmal fehlschlagen.",
	data.TopicUp:          "Apotheken können wieder digitale Impfzertifikate ausstellen; aufgenommene Daten können jetzt nachgetragen werden.",
	data.TopicMaintenance: "In dieser Zeit können Apotheken voraussichtlich keine digitalen Impfzertifikate ausstellen.",
}

type noticeText struct {
	Headline, Since, Detail, Message, StatusURL, UnsubscribeURL string
	Changes                                                     []string // of a summary: every change, oldest first
}

// changeNames are the states in a summary's list.
var changeNames = map[data.Topic]string{data.TopicDown: "gestört", data.TopicDegraded: "eingeschränkt", data.TopicUp: "wieder erreichbar",
	data.TopicMaintenance: "Wartung angekündigt"}

// changeName is a change as a summary lists it.
func changeName(e data.Event) string {
	if e.Cancelled {
		return "angekündigte Wartung abgesagt"
	}
	return changeNames[e.Topic]
}

var noticeTextTmpl = template.Must(template.New("notice").Parse(`Guten Tag,

{{.Since}}
{{.Detail}}
{{if .Changes}}
Seit der letzten Nachricht:
{{range .Changes}}- {{.}}
{{end}}{{end}}{{if .Message}}
Meldung des Betriebs: {{.Message}}
{{end}}
Aktueller Stand: {{.StatusURL}}

-- 
Sie erhalten diese Nachricht, weil Sie Meldungen zum Ausstellungsserver bei apoportal
abonniert haben. Abbestellen mit einem Klick (Ihre Adresse wird gelöscht):
{{.UnsubscribeURL}}
`))

var noticeHTMLTmpl = htmltemplate.Must(htmltemplate.New("notice").Parse(`<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<h1 style="font-size: 1.3em">{{.Headline}}</h1>
<p>{{.Since}} {{.Detail}}</p>
{{if .Changes}}<p>Seit der letzten Nachricht:</p><ul>{{range .Changes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Message}}<p>Meldung des Betriebs: {{.Message}}</p>{{end}}
<p><a href="{{.StatusURL}}">Aktueller Stand auf der Statusseite</a></p>
<hr>
<p style="font-size: 0.9em">Sie erhalten diese Nachricht, weil Sie Meldungen zum Ausstellungsserver bei apoportal abonniert haben.
<a href="{{.UnsubscribeURL}}">Abbestellen</a> (Ihre Adresse wird gelöscht).</p>
</body></html>
`))

type confirmationText struct {
	ConfirmURL string
	Hours      int
}

var confirmationTextTmpl = template.Must(template.New("confirmation").Parse(`Guten Tag,

jemand – vermutlich Sie – möchte unter dieser Adresse Meldungen von apoportal zum nationalen
Ausstellungsserver für digitale Impfzertifikate erhalten. Bitte bestätigen Sie das innerhalb
von {{.Hours}} Stunden:

{{.ConfirmURL}}

Ohne Bestätigung senden wir nichts, und die Adresse wird nach {{.Hours}} Stunden gelöscht.
Wenn Sie das nicht waren, können Sie diese Nachricht einfach löschen.
`))

var confirmationHTMLTmpl = htmltemplate.Must(htmltemplate.New("confirmation").Parse(`<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Abonnement bestätigen</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>Jemand – vermutlich Sie – möchte unter dieser Adresse Meldungen von apoportal zum nationalen Ausstellungsserver für digitale Impfzertifikate erhalten.</p>
<p><a href="{{.ConfirmURL}}">Abonnement bestätigen</a> (innerhalb von {{.Hours}} Stunden)</p>
<p>Ohne Bestätigung senden wir nichts, und die Adresse wird nach {{.Hours}} Stunden gelöscht. Wenn Sie das nicht waren, können Sie diese Nachricht einfach löschen.</p>
</body></html>
`))

// notice is the message of a batch of deliveries to its address: the newest change, and a
// list of all when there are several; with its own unsubscribe link (RFC 8058:
// List-Unsubscribe and List-Unsubscribe-Post, and the link in the text) and the newest
// delivery's Message-ID on every attempt.
func (m *Mailer) notice(b batch, publicURL, unsubscribeToken string, now time.Time) (*mail.Msg, error) {
	d, host := b.last(), hostOf(publicURL)
	unsubscribe := publicURL + UnsubscribePath + "?t=" + url.QueryEscape(unsubscribeToken)
	subject := headline[d.Event.Topic]
	if d.Event.Cancelled {
		subject = "Angekündigte Wartung abgesagt"
	}
	msg, err := m.newMsg(d.Subscription.Email, "delivery-"+strconv.FormatInt(d.ID, 10)+"@"+host, subject, now)
	if err != nil {
		return nil, err
	}
	msg.SetGenHeader(mail.HeaderListUnsubscribe, "<"+unsubscribe+">")
	msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	msg.SetGenHeader("List-Id", "Meldungen zum Ausstellungsserver <ausstellungsserver."+host+">")
	times := []any{berlinTime(d.Event.At)}
	if d.Event.Topic == data.TopicMaintenance {
		times = append(times, berlinTime(d.Event.EndsAt))
	}
	text := noticeText{Headline: headline[d.Event.Topic], Since: fmt.Sprintf(since[d.Event.Topic], times...), Detail: detail[d.Event.Topic],
		Message: d.Event.Message, StatusURL: publicURL + "/status", UnsubscribeURL: unsubscribe}
	if d.Event.Cancelled {
		text.Headline, text.Detail = "Angekündigte Wartung abgesagt", "Die Wartung findet nicht statt; Apotheken können wie gewohnt ausstellen."
		text.Since = fmt.Sprintf("Die für %s bis %s angekündigte Wartung des nationalen Ausstellungsservers ist abgesagt.", times...)
	}
	if len(b) > 1 {
		for _, c := range b {
			text.Changes = append(text.Changes, berlinTime(c.Event.At)+": "+changeName(c.Event))
		}
	}
	return msg, bodies(msg, noticeTextTmpl, noticeHTMLTmpl, text)
}

// Confirmation is the message with the link that confirms a subscription.
func (m *Mailer) Confirmation(to, publicURL, token string, now time.Time) (*mail.Msg, error) {
	id := "confirm-" + strconv.FormatInt(now.UnixNano(), 36) + "@" + hostOf(publicURL)
	msg, err := m.newMsg(to, id, "Bitte bestätigen Sie Ihr Abonnement der Meldungen zum Ausstellungsserver", now)
	if err != nil {
		return nil, err
	}
	text := confirmationText{ConfirmURL: publicURL + ConfirmPath + "?t=" + url.QueryEscape(token), Hours: int(data.ConfirmWithin.Hours())}
	return msg, bodies(msg, confirmationTextTmpl, confirmationHTMLTmpl, text)
}

// bodies sets msg's text and, as its alternative, HTML body.
func bodies(msg *mail.Msg, text *template.Template, html *htmltemplate.Template, v any) error {
	var t, h bytes.Buffer
	if err := text.Execute(&t, v); err != nil {
		return err
	}
	if err := html.Execute(&h, v); err != nil {
		return err
	}
	msg.SetBodyString(mail.TypeTextPlain, t.String())
	msg.AddAlternativeString(mail.TypeTextHTML, h.String())
	return nil
}

// berlinTime is t as a German reader expects it: "14.06.2021, 14:32 Uhr" in Europe/Berlin.
func berlinTime(t time.Time) string {
	if loc, err := time.LoadLocation("Europe/Berlin"); err == nil {
		t = t.In(loc)
	}
	return t.Format("02.01.2006, 15:04") + " Uhr"
}
