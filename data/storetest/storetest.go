// Package storetest is the contract every store passes: each scenario written once, run
// against each engine (data/sqlite, data/postgres) by that engine's tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Open opens a fresh, empty store with the clock now (nil: time.Now); the store is closed
// when the test ends.
type Open func(t testing.TB, now func() time.Time) data.Store

// scenarios is the contract, by name.
var scenarios = []struct {
	name string
	run  func(t *testing.T, open Open)
}{
	{"UpsertPharmacies_ReimportKeepsTheSwitch", reimportKeepsTheSwitch},
	{"UpsertPharmacies_FailureChangesNothing", failedImportChangesNothing},
	{"UpsertPharmacies_RegistryOfThousands", registryOfThousands},
	{"Pharmacy_NotFound", pharmacyNotFound},
	{"PharmaciesChangedSince_FollowsWrites", changedSinceFollowsWrites},
	{"PharmaciesChangedSince_ConcurrentWritersNeverSkipped", concurrentWritersNeverSkipped},
	{"ChangeParticipation_AuditsOldAndNew", auditsOldAndNew},
	{"ChangeParticipation_ConcurrentSwitchesReplay", concurrentSwitchesReplay},
	{"Corrections_ReportedAndListed", correctionsReportedAndListed},
	{"Postcodes_ReplaceAndVersion", postcodesReplaceAndVersion},
	{"Meta_DemoCursorSecret", demoCursorSecret},
	{"Accounts_CodesAndConflicts", accountCodesAndConflicts},
	{"Accounts_ActivationLoginSessions", activationLoginSessions},
	{"Accounts_ActivationCodeExpires", activationCodeExpires},
	{"Sessions_EndWhenIdleAndWithANewPassword", sessionsEndWhenIdle},
	{"APITokens_ScopedRevocableHashed", tokensScopedRevocable},
	{"APITokens_DieWithTheirAccountAndRecordLastUse", tokensDieWithTheirAccount},
	{"Checks_DailyRollupFollowsBerlinDaysAndDST", dailyRollupFollowsBerlin},
	{"Checks_UptimeAndRetention", uptimeAndRetention},
	{"Checks_HourlyResponseTimeCountsAnswersOnly", hourlyCountsAnswersOnly},
	{"Incidents_OpenedOnceResolvedOnRecovery", automaticIncidents},
	{"Incidents_OperatorTimelineAndAudit", operatorTimeline},
	{"Incidents_BadPostsChangeNothing", badIncidentPosts},
	{"Maintenance_ScheduleCancelAndState", maintenanceScheduleCancel},
	{"Reports_CountPharmaciesOnce", reportsCountPharmaciesOnce},
	{"Leases_OneHolderAtATime", leaseOneHolder},
	{"TargetStatuses_LastRecordedState", targetStatuses},
	{"Throttles_CountAcrossCallers", throttlesCountAcrossCallers},
	{"ImportPreviews_TakenOnce", importPreviewTakenOnce},
	{"Feedback_KeptNewestFirstBadOnesRefused", feedbackKeptAndRefused},
	{"RecoveryNotices_KeptPerAccountLaterReplaces", recoveryNoticeDismissed},
	{"Notifications_OutboxFollowsStateChanges", outboxFollowsStateChanges},
	{"Notifications_MailNeedsConfirmation", mailNeedsConfirmation},
	{"Notifications_AccountsKeepTheirSubscriptions", accountsKeepTheirSubscriptions},
	{"Notifications_MaintenanceIsAnnounced", maintenanceIsAnnounced},
	{"Notifications_NewsIsPerSubscriber", newsIsPerSubscriber},
	{"Notifications_UnsubscribeLinksExpire", unsubscribeLinksExpire},
}

// Run runs every scenario of the contract against the engine open opens.
func Run(t *testing.T, open Open) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
}

var testActor = data.Actor{Name: "test", Source: "test"}

// Pharmacy is a registry entry for tests.
func Pharmacy(id, city string, participating bool) data.Pharmacy {
	return data.Pharmacy{ID: id, Name: "Apotheke " + id, Postcode: "21614", City: city, Lat: 53.47, Lon: 9.68,
		Source: data.SourceRegistry, Services: []data.Service{data.ServiceDelivery},
		Participation: data.Participation{Participating: participating}}
}

// withPharmacies opens a store holding the given pharmacies.
func withPharmacies(t *testing.T, open Open, now func() time.Time, ps ...data.Pharmacy) data.Store {
	t.Helper()
	db := open(t, now)
	if _, err := db.UpsertPharmacies(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	return db
}

// clock is a settable test clock.
type clock struct{ at time.Time }

func (c *clock) now() time.Time { return c.at }
