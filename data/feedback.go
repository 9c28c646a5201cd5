package data

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Feedback is what a citizen tells the operator about a barrier on the portal: the feedback
// mechanism the accessibility statement must offer (BITV 2.0 § 7). It is kept without the
// sender's address; a reply goes to Contact, when given.
type Feedback struct {
	ID        int64
	Message   string
	Contact   string // e-mail or phone for a reply, optional
	Page      string // where the barrier is, optional
	CreatedAt time.Time
}

// Limits of feedback.
const (
	MaxFeedbackLength = 2000
	MaxFeedbackField  = 200 // contact and page: one line each
)

// FeedbackBox keeps citizens' feedback for the operators.
type FeedbackBox interface {
	// LeaveFeedback stores f (checked by CheckFeedback) and returns it as stored.
	LeaveFeedback(ctx context.Context, f Feedback) (Feedback, error)
	// FeedbackList returns the newest feedback first, at most limit.
	FeedbackList(ctx context.Context, limit int) ([]Feedback, error)
}

// CheckFeedback returns f as it is stored (trimmed), or says which field is wrong.
func CheckFeedback(f Feedback) (Feedback, error) {
	f.Message, f.Contact, f.Page = strings.TrimSpace(f.Message), strings.TrimSpace(f.Contact), strings.TrimSpace(f.Page)
	if f.Message == "" {
		return f, &Error{Code: EINVALID, Field: "message", Message: fmt.Sprintf("must be 1 to %d characters", MaxFeedbackLength)}
	}
	if err := CheckText("message", f.Message, MaxFeedbackLength); err != nil {
		return f, err
	}
	for _, field := range []struct{ name, value string }{{"contact", f.Contact}, {"page", f.Page}} {
		if err := CheckLine(field.name, field.value, MaxFeedbackField); err != nil {
			return f, err
		}
	}
	return f, nil
}
