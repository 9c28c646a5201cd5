package openinghours

// segment is part of a day with one state: from the rule that set it (-1: none).
type segment struct {
	start, end int
	state      State
	rule       int16
	openEnd    bool
}

// maxSpans bounds the times of a value (Parse refuses more), so that a day's timeline,
// and the one merged from two readings of it, never needs more than maxSegments.
const (
	maxSpans    = 32
	maxSegments = 4*maxSpans + 4
)

// timeline is a calendar day cut into segments, from 00:00 to 24:00; holidayRule is the
// last rule whose PH selector selected the day (its comment is the holiday's name).
type timeline struct {
	n           int
	segs        [maxSegments]segment
	holidayRule int16
	holiday     string
}

func (tl *timeline) reset() {
	tl.n = 1
	tl.segs[0] = segment{start: 0, end: minutesInDay, state: Closed, rule: -1}
	tl.holidayRule, tl.holiday = -1, ""
}

// find is the index of the segment holding minute m.
func (tl *timeline) find(m int) int {
	for i := range tl.n {
		if m < tl.segs[i].end {
			return i
		}
	}
	return tl.n - 1
}

// split makes a segment boundary at minute m.
func (tl *timeline) split(m int) {
	if m <= 0 || m >= minutesInDay {
		return
	}
	i := tl.find(m)
	if tl.segs[i].start == m || tl.n == maxSegments {
		return
	}
	copy(tl.segs[i+2:tl.n+1], tl.segs[i+1:tl.n])
	tl.segs[i+1] = tl.segs[i]
	tl.segs[i].end, tl.segs[i+1].start = m, m
	tl.n++
}

// paint applies rule r's state to [from, to); a fallback rule only where it is closed.
func (tl *timeline) paint(from, to int, r int16, state State, openEnd, fallback bool) {
	tl.split(from)
	tl.split(to)
	for i := range tl.n {
		s := &tl.segs[i]
		if s.start < from || s.end > to || fallback && s.state != Closed {
			continue
		}
		s.state, s.rule, s.openEnd = state, r, false
		if openEnd && state != Closed {
			s.state, s.openEnd = Unknown, true
		}
	}
}

// merge joins neighbours that read the same.
func (tl *timeline) merge() {
	j := 0
	for i := 1; i < tl.n; i++ {
		a, b := &tl.segs[j], tl.segs[i]
		if a.state == b.state && a.rule == b.rule && a.openEnd == b.openEnd {
			a.end = b.end
			continue
		}
		j++
		tl.segs[j] = b
	}
	tl.n = j + 1
}

// day evaluates the calendar day into tl, as opening_hours.js evaluates each instant:
// the rules selecting the day, from the last normal rule that opens (or says unknown) on;
// each applied in order over its times. Where school holidays, or a holiday of only part
// of the Land, would change the answer, it is unknown.
func (h *Hours) day(n int, c *calendar, tl *timeline) {
	switch {
	case c.today.year != 0 && n == c.today.num:
	case c.today.year != 0 && n == c.today.num+1:
		c.before, c.today = c.today, c.today.next()
	default:
		c.today, c.before = civilOf(n), civilOf(n-1)
	}
	// What is not known is assumed both ways, each combination a reading: school holidays
	// on the day and the day before (whose night may reach into it), and public holidays of
	// only part of the Land. Where the readings' states differ the day is unknown; where only
	// their comments do, it has none.
	c.uncertain = [2]string{}
	if h.public && c.holidays != nil {
		c.uncertain = [2]string{c.uncertainOn(&c.today), c.uncertainOn(&c.before)}
	}
	var vary []*bool
	if h.school {
		vary = append(vary, &c.schoolToday, &c.schoolBefore)
	}
	for i := range c.uncertain {
		if c.uncertain[i] != "" {
			vary = append(vary, &c.assumed[i])
		}
	}
	assume := func(mask int) {
		c.schoolToday, c.schoolBefore, c.assumed = false, false, [2]bool{}
		for i, b := range vary {
			*b = mask&(1<<i) != 0
		}
	}
	assume(0)
	h.evaluate(c, tl)
	if len(vary) == 0 {
		return
	}
	var other timeline
	for mask := 1; mask < 1<<len(vary); mask++ {
		assume(mask)
		h.evaluate(c, &other)
		for _, s := range other.segs[:other.n] {
			tl.split(s.start)
		}
		for i := range tl.n {
			s := &tl.segs[i]
			o := other.segs[other.find(s.start)]
			switch {
			case o.state != s.state:
				s.state, s.rule, s.openEnd = Unknown, -1, false
			case h.comment(o, &other) != h.comment(*s, tl):
				s.rule, s.openEnd = -1, false // the state holds; which comment is not known
			}
		}
	}
	assume(0)
	tl.merge()
}

func (h *Hours) evaluate(c *calendar, tl *timeline) {
	tl.reset()
	var buf [32]int16
	matching := buf[:0]
	for i := range h.rules {
		r := &h.rules[i]
		if !h.selects(int16(i), c, tl) {
			continue
		}
		resets := len(r.groups) > 0 || i > 0 && r.state == Open && len(h.rules[i-1].groups) == 0
		if resets && r.state != Closed && !r.wrapped && !r.additional && !r.fallback {
			matching = matching[:0]
		}
		matching = append(matching, int16(i))
	}
	for _, i := range matching {
		r := &h.rules[i]
		if r.variable {
			// When the sun rises is not computed: the day is unknown.
			tl.paint(0, minutesInDay, i, Unknown, false, false)
			continue
		}
		if len(r.times) == 0 {
			tl.paint(0, minutesInDay, i, r.state, false, r.fallback)
		}
		for _, s := range r.times {
			tl.paint(s.from, min(s.to, minutesInDay), i, r.state, s.openEnd, r.fallback)
		}
	}
	tl.merge()
}

// selects reports whether rule i selects the day, noting a public holiday it selects by.
func (h *Hours) selects(i int16, c *calendar, tl *timeline) bool {
	for _, g := range h.rules[i].groups {
		any := false
		for _, s := range g {
			if s.selects(&c.today, c) {
				any = true
				if name, ok := holidayOf(s, c); ok {
					tl.holidayRule, tl.holiday = i, name
				}
			}
		}
		if !any {
			return false
		}
	}
	return true
}

// holidayOf is the name of the holiday s selected date by: a public holiday's (not the day
// before's: a night after a holiday does not carry its name), or a school holiday's, which
// is not known ("").
func holidayOf(s selector, c *calendar) (string, bool) {
	switch s.(type) {
	case publicHolidays:
		return c.publicHoliday(&c.today)
	case schoolHolidays:
		return "", true
	}
	return "", false
}

// comment is what a segment says besides its state: its rule's comment, else the
// holiday's name when the holiday's rule decided it.
func (h *Hours) comment(s segment, tl *timeline) string {
	if s.rule < 0 {
		return ""
	}
	if c := h.rules[s.rule].comment; c != "" {
		return c
	}
	if s.rule == tl.holidayRule && !s.openEnd {
		return tl.holiday
	}
	return ""
}
