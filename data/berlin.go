package data

import (
	"time"

	"github.com/apoportal/apoportal/data/openinghours"
)

// berlin is the time zone of the portal's days: opening hours, roll-ups, holidays.
var berlin = openinghours.Berlin()

// Berlin returns the Europe/Berlin location.
func Berlin() *time.Location { return berlin }
