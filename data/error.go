package data

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps them to status codes in one place.
const (
	EINVALID      = "invalid"      // the caller sent something wrong
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the request contradicts the stored state
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EUNAVAILABLE  = "unavailable"  // the store cannot write now (busy, read-only, full); nothing changed, retry
	EINTERNAL     = "internal"     // our fault; details are logged, never shown
)

// Error is the one error type with a code and a message fit for the user. Field names the
// input field (or importer field) at fault and Line the line or feature number of a file,
// where they apply.
type Error struct {
	Code    string
	Field   string
	Line    int
	Message string
	// Args, when not nil, make Message a key of the portal's translation catalogue (German,
	// a format for Args), which the HTTP layer words in the reader's language.
	Args []any
}

// Text is the message with its values, in the catalogue's source language.
func (e *Error) Text() string {
	if e.Args != nil {
		return fmt.Sprintf(e.Message, e.Args...)
	}
	return e.Message
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Field != "":
		return fmt.Sprintf("line %d, field %s: %s", e.Line, e.Field, e.Text())
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Text())
	case e.Field != "":
		return fmt.Sprintf("%s: %s", e.Field, e.Text())
	}
	return e.Text()
}

// ErrCommitUnknown is a write whose commit was sent but whose answer was lost with the
// connection (the database crashed or failed over at that instant): it may have been made.
// Its kind is EUNAVAILABLE; the API says so apart, and a switch, which sets a state rather
// than toggling it, can simply be sent again.
var ErrCommitUnknown = &Error{Code: EUNAVAILABLE,
	Message: "the connection to the database broke while the change was being committed; it may have been made: send it again or check"}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its *Error, or a
// generic text for internal errors so driver details never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Error()
	}
	return "internal error"
}

// ErrorField returns the field of the first *Error in err's chain, "" when it names none.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
