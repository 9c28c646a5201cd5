package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Feedback is kept as sent (trimmed), listed newest first; a bad one names its field and
// leaves nothing behind.
func feedbackKeptAndRefused(t *testing.T, open Open) {
	now := time.Date(2026, 6, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := open(t, clock)
	ctx := context.Background()
	first, err := s.LeaveFeedback(ctx, data.Feedback{Message: "  Die Karte lässt sich nicht mit der Tastatur bedienen. ", Page: "/suche?q=21614"})
	if err != nil || first.ID == 0 || first.Message != "Die Karte lässt sich nicht mit der Tastatur bedienen." || !first.CreatedAt.Equal(now) {
		t.Fatalf("left feedback %+v, %v", first, err)
	}
	now = now.Add(time.Minute)
	if _, err := s.LeaveFeedback(ctx, data.Feedback{Message: "Kontrast im Banner zu schwach", Contact: "leser@example.org"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		f     data.Feedback
		field string
	}{
		{data.Feedback{Message: "   "}, "message"},
		{data.Feedback{Message: strings.Repeat("x", data.MaxFeedbackLength+1)}, "message"},
		{data.Feedback{Message: "ok", Contact: "a\nb"}, "contact"},
		{data.Feedback{Message: "ok", Page: strings.Repeat("p", 201)}, "page"},
		{data.Feedback{Message: "bad \xff utf-8"}, "message"},
	} {
		if _, err := s.LeaveFeedback(ctx, bad.f); data.ErrorCode(err) != data.EINVALID || data.ErrorField(err) != bad.field {
			t.Errorf("feedback %q: %v, want invalid %s", bad.f.Message[:min(len(bad.f.Message), 20)], err, bad.field)
		}
	}
	list, err := s.FeedbackList(ctx, 10)
	if err != nil || len(list) != 2 || list[0].Contact != "leser@example.org" || list[1].Page != "/suche?q=21614" || !list[0].CreatedAt.Equal(now) {
		t.Fatalf("feedback listed %+v, %v", list, err)
	}
	if list, err := s.FeedbackList(ctx, 1); err != nil || len(list) != 1 || list[0].ID == first.ID {
		t.Fatalf("newest one: %+v, %v", list, err)
	}
}
