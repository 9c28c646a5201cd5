package data

import (
	"context"
	"time"
)

// RecoveryNotices remember which pharmacy accounts have put away the dashboard's notice that
// the national issuing service is reachable again ("aufgenommene Daten können jetzt
// nachgetragen werden"), so it stays away until the next recovery.
type RecoveryNotices interface {
	// DismissRecoveryNotice records that the account put the notice of recoveries up to at
	// away.
	DismissRecoveryNotice(ctx context.Context, accountID int64, at time.Time) error
	// RecoveryNoticeDismissed is the latest such at of the account; zero when it never did.
	RecoveryNoticeDismissed(ctx context.Context, accountID int64) (time.Time, error)
}
