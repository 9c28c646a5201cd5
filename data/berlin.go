package data

import (
	"fmt"
	"time"
)

// berlin is the time zone of the portal's days: opening hours, roll-ups, holidays.
var berlin = mustLoadBerlin()

func mustLoadBerlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		// The binary embeds time/tzdata, so this only fails in a broken build.
		panic(fmt.Sprintf("load Europe/Berlin: %v", err))
	}
	return loc
}

// Berlin returns the Europe/Berlin location.
func Berlin() *time.Location { return berlin }
