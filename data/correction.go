package data

import (
	"fmt"
	"strings"
)

// MaxCorrectionLength bounds a correction report.
const MaxCorrectionLength = 2000

// CheckCorrection returns the message of a correction request as it is stored (trimmed),
// or says what is wrong with it.
func CheckCorrection(message string) (string, error) {
	message = strings.TrimSpace(message)
	if message == "" {
		return "", &Error{Code: EINVALID, Field: "message", Message: fmt.Sprintf("must be 1 to %d characters", MaxCorrectionLength)}
	}
	if err := CheckText("message", message, MaxCorrectionLength); err != nil {
		return "", err
	}
	return message, nil
}
