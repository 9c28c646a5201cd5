package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"text/template"
	"time"
	_ "time/tzdata" // the messages' times are Berlin's, also where the system has no zoneinfo

	"github.com/apoportal/apoportal/data"
	"github.com/wneessen/go-mail"
)

// ConfirmPath and UnsubscribePath are the portal's pages behind the links in messages (in
// German; under /en for English); the token travels in the query, which the access log
// does not keep.
const (
	ConfirmPath     = "/status/bestaetigen"
	UnsubscribePath = "/status/abmelden"
)

// wording is the messages in one language.
type wording struct {
	prefix                          string // of the links' paths
	headline, since, detail, change map[data.Topic]string
	cancelled                       cancelledWording
	confirmSubject                  string
	noticeText, confirmText         *template.Template
	noticeHTML, confirmHTML         *htmltemplate.Template
	time                            func(time.Time) string
}

// cancelledWording is what a message says of a maintenance called off.
type cancelledWording struct {
	headline, since, detail, change string // since takes the start and the end
}

// wordings are the messages' languages: an address hears in the language it subscribed in.
var wordings = map[string]wording{
	"de": {
		prefix: "",
		headline: map[data.Topic]string{
			data.TopicDown:        "Der Ausstellungsserver ist gestört",
			data.TopicDegraded:    "Der Ausstellungsserver arbeitet eingeschränkt",
			data.TopicUp:          "Der Ausstellungsserver ist wieder erreichbar",
			data.TopicMaintenance: "Angekündigte Wartung des Ausstellungsservers",
		},
		since: map[data.Topic]string{
			data.TopicDown:        "Der nationale Ausstellungsserver für digitale Impfzertifikate ist seit %s gestört.",
			data.TopicDegraded:    "Der nationale Ausstellungsserver für digitale Impfzertifikate arbeitet seit %s eingeschränkt.",
			data.TopicUp:          "Der nationale Ausstellungsserver für digitale Impfzertifikate ist seit %s wieder erreichbar.",
			data.TopicMaintenance: "Der nationale Ausstellungsserver für digitale Impfzertifikate wird von %s bis %s gewartet.",
		},
		detail: map[data.Topic]string{
			data.TopicDown:        "Apotheken können zurzeit keine digitalen Impfzertifikate ausstellen; sie können die Daten aufnehmen und das Zertifikat später ausstellen.",
			data.TopicDegraded:    "Der nationale Ausstellungsserver antwortet langsam oder nicht auf jede Anfrage: Ausstellen kann länger dauern oder einmal fehlschlagen.",
			data.TopicUp:          "Apotheken können wieder digitale Impfzertifikate ausstellen; aufgenommene Daten können jetzt nachgetragen werden.",
			data.TopicMaintenance: "In dieser Zeit können Apotheken voraussichtlich keine digitalen Impfzertifikate ausstellen.",
		},
		change: map[data.Topic]string{data.TopicDown: "gestört", data.TopicDegraded: "eingeschränkt", data.TopicUp: "wieder erreichbar",
			data.TopicMaintenance: "Wartung angekündigt"},
		cancelled: cancelledWording{"Angekündigte Wartung abgesagt",
			"Die für %s bis %s angekündigte Wartung des nationalen Ausstellungsservers ist abgesagt.",
			"Die Wartung findet nicht statt; Apotheken können wie gewohnt ausstellen.", "angekündigte Wartung abgesagt"},
		confirmSubject: "Bitte bestätigen Sie Ihr Abonnement der Meldungen zum Ausstellungsserver",
		noticeText: template.Must(template.New("notice").Parse(`Guten Tag,

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
`)),
		noticeHTML: htmltemplate.Must(htmltemplate.New("notice").Parse(`<!DOCTYPE html>
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
`)),
		confirmText: template.Must(template.New("confirmation").Parse(`Guten Tag,

jemand – vermutlich Sie – möchte unter dieser Adresse Meldungen von apoportal zum nationalen
Ausstellungsserver für digitale Impfzertifikate erhalten. Bitte bestätigen Sie das innerhalb
von {{.Hours}} Stunden:

{{.ConfirmURL}}

Ohne Bestätigung senden wir nichts, und die Adresse wird nach {{.Hours}} Stunden gelöscht.
Wenn Sie das nicht waren, können Sie diese Nachricht einfach löschen.
`)),
		confirmHTML: htmltemplate.Must(htmltemplate.New("confirmation").Parse(`<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Abonnement bestätigen</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>Jemand – vermutlich Sie – möchte unter dieser Adresse Meldungen von apoportal zum nationalen Ausstellungsserver für digitale Impfzertifikate erhalten.</p>
<p><a href="{{.ConfirmURL}}">Abonnement bestätigen</a> (innerhalb von {{.Hours}} Stunden)</p>
<p>Ohne Bestätigung senden wir nichts, und die Adresse wird nach {{.Hours}} Stunden gelöscht. Wenn Sie das nicht waren, können Sie diese Nachricht einfach löschen.</p>
</body></html>
`)),
		time: func(t time.Time) string { return berlin(t).Format("02.01.2006, 15:04") + " Uhr" },
	},
	"en": {
		prefix: "/en",
		headline: map[data.Topic]string{
			data.TopicDown:        "The issuing server is down",
			data.TopicDegraded:    "The issuing server is degraded",
			data.TopicUp:          "The issuing server is back",
			data.TopicMaintenance: "Announced maintenance of the issuing server",
		},
		since: map[data.Topic]string{
			data.TopicDown:        "The national issuing server for digital vaccination certificates has been down since %s.",
			data.TopicDegraded:    "The national issuing server for digital vaccination certificates has been degraded since %s.",
			data.TopicUp:          "The national issuing server for digital vaccination certificates has been back since %s.",
			data.TopicMaintenance: "The national issuing server for digital vaccination certificates will be under maintenance from %s to %s.",
		},
		detail: map[data.Topic]string{
			data.TopicDown:        "Pharmacies cannot issue digital vaccination certificates right now; they can take your details and issue the certificate later.",
			data.TopicDegraded:    "The national issuing server answers slowly or not every request: issuing may take longer or fail once.",
			data.TopicUp:          "Pharmacies can issue digital vaccination certificates again; details taken meanwhile can be entered now.",
			data.TopicMaintenance: "Pharmacies will probably not be able to issue digital vaccination certificates during this time.",
		},
		change: map[data.Topic]string{data.TopicDown: "down", data.TopicDegraded: "degraded", data.TopicUp: "back",
			data.TopicMaintenance: "maintenance announced"},
		cancelled: cancelledWording{"Announced maintenance called off",
			"The maintenance of the national issuing server announced for %s to %s is called off.",
			"It will not take place; pharmacies can issue as usual.", "announced maintenance called off"},
		confirmSubject: "Please confirm your subscription to the issuing server's messages",
		noticeText: template.Must(template.New("notice").Parse(`Hello,

{{.Since}}
{{.Detail}}
{{if .Changes}}
Since the last message:
{{range .Changes}}- {{.}}
{{end}}{{end}}{{if .Message}}
The operators say (in German): {{.Message}}
{{end}}
Current state: {{.StatusURL}}

-- 
You get this message because you subscribed to apoportal's messages about the issuing
server. Unsubscribe with one click (your address is deleted):
{{.UnsubscribeURL}}
`)),
		noticeHTML: htmltemplate.Must(htmltemplate.New("notice").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<h1 style="font-size: 1.3em">{{.Headline}}</h1>
<p>{{.Since}} {{.Detail}}</p>
{{if .Changes}}<p>Since the last message:</p><ul>{{range .Changes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Message}}<p>The operators say (in German): <span lang="de">{{.Message}}</span></p>{{end}}
<p><a href="{{.StatusURL}}">Current state on the status page</a></p>
<hr>
<p style="font-size: 0.9em">You get this message because you subscribed to apoportal's messages about the issuing server.
<a href="{{.UnsubscribeURL}}">Unsubscribe</a> (your address is deleted).</p>
</body></html>
`)),
		confirmText: template.Must(template.New("confirmation").Parse(`Hello,

someone – probably you – wants to get apoportal's messages about the national issuing server
for digital vaccination certificates at this address. Please confirm within {{.Hours}} hours:

{{.ConfirmURL}}

Without a confirmation we send nothing, and the address is deleted after {{.Hours}} hours.
If it was not you, just delete this message.
`)),
		confirmHTML: htmltemplate.Must(htmltemplate.New("confirmation").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Confirm subscription</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>Someone – probably you – wants to get apoportal's messages about the national issuing server for digital vaccination certificates at this address.</p>
<p><a href="{{.ConfirmURL}}">Confirm subscription</a> (within {{.Hours}} hours)</p>
<p>Without a confirmation we send nothing, and the address is deleted after {{.Hours}} hours. If it was not you, just delete this message.</p>
</body></html>
`)),
		time: func(t time.Time) string { return berlin(t).Format("2 Jan 2006, 15:04") + " (German time)" },
	},
}

// wordingOf is the wording of a language, German for any other.
func wordingOf(lang string) wording {
	if w, ok := wordings[lang]; ok {
		return w
	}
	return wordings["de"]
}

type noticeText struct {
	Headline, Since, Detail, Message, StatusURL, UnsubscribeURL string
	Changes                                                     []string // of a summary: every change, oldest first
}

type confirmationText struct {
	ConfirmURL string
	Hours      int
}

// notice is the message of a batch of deliveries to its address, in the language it
// subscribed in: the newest change, and a list of all when there are several; with its own
// unsubscribe link (RFC 8058: List-Unsubscribe and List-Unsubscribe-Post, and the link in
// the text) and the newest delivery's Message-ID on every attempt.
func (m *Mailer) notice(b batch, publicURL, unsubscribeToken string, now time.Time) (*mail.Msg, error) {
	d, host := b.last(), hostOf(publicURL)
	w := wordingOf(d.Subscription.Lang)
	unsubscribe := publicURL + w.prefix + UnsubscribePath + "?t=" + url.QueryEscape(unsubscribeToken)
	times := []any{w.time(d.Event.At)}
	if d.Event.Topic == data.TopicMaintenance {
		times = append(times, w.time(d.Event.EndsAt))
	}
	text := noticeText{Headline: w.headline[d.Event.Topic], Since: fmt.Sprintf(w.since[d.Event.Topic], times...), Detail: w.detail[d.Event.Topic],
		Message: d.Event.Message, StatusURL: publicURL + w.prefix + "/status", UnsubscribeURL: unsubscribe}
	if d.Event.Cancelled {
		text.Headline, text.Since, text.Detail = w.cancelled.headline, fmt.Sprintf(w.cancelled.since, times...), w.cancelled.detail
	}
	if len(b) > 1 {
		for _, c := range b {
			name := w.change[c.Event.Topic]
			if c.Event.Cancelled {
				name = w.cancelled.change
			}
			text.Changes = append(text.Changes, w.time(c.Event.At)+": "+name)
		}
	}
	msg, err := m.newMsg(d.Subscription.Email, "delivery-"+strconv.FormatInt(d.ID, 10)+"@"+host, text.Headline, now)
	if err != nil {
		return nil, err
	}
	msg.SetGenHeader(mail.HeaderListUnsubscribe, "<"+unsubscribe+">")
	msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	msg.SetGenHeader("List-Id", "Meldungen zum Ausstellungsserver <ausstellungsserver."+host+">")
	return msg, bodies(msg, w.noticeText, w.noticeHTML, text)
}

// Confirmation is the message, in lang, with the link that confirms a subscription.
func (m *Mailer) Confirmation(to, lang, publicURL, token string, now time.Time) (*mail.Msg, error) {
	w := wordingOf(lang)
	id := "confirm-" + strconv.FormatInt(now.UnixNano(), 36) + "@" + hostOf(publicURL)
	msg, err := m.newMsg(to, id, w.confirmSubject, now)
	if err != nil {
		return nil, err
	}
	text := confirmationText{ConfirmURL: publicURL + w.prefix + ConfirmPath + "?t=" + url.QueryEscape(token), Hours: int(data.ConfirmWithin.Hours())}
	return msg, bodies(msg, w.confirmText, w.confirmHTML, text)
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
func berlinTime(t time.Time) string { return wordings["de"].time(t) }

// berlin is t in Europe/Berlin (the binary embeds time/tzdata).
func berlin(t time.Time) time.Time { return t.In(berlinZone) }

var berlinZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic("no Europe/Berlin: " + err.Error()) // tzdata is embedded: a broken build
	}
	return loc
}()
