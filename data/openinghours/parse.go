package openinghours

import (
	"fmt"
	"time"
)

// rule is one rule as opening_hours.js evaluates it. A rule whose times run past midnight
// is followed by a wrapped rule: the same selectors shifted by a day and the times' parts
// after midnight.
type rule struct {
	groups     [][]selector // year, holiday, month, month-day, week, weekday: all must select
	times      []span       // none: the whole day
	state      State        // Open, Closed or Unknown
	comment    string
	fallback   bool // after "||": applies only where the rules before leave it closed
	additional bool // after ",": adds to the rule before instead of replacing it
	wrapped    bool // the part after midnight of the rule before, on the next day
	variable   bool // has a time from the sun: unknown on the days it applies
}

// span is a time selector in minutes after midnight: [from, to), to up to 2880.
type span struct {
	from, to int
	openEnd  bool // "18:00+": unknown how long
}

// parser reads one rule after another from the tokens.
type parser struct {
	toks  []token
	at    int
	value string
}

func (p *parser) peek(ahead int) token {
	if i := p.at + ahead; i >= 0 && i < len(p.toks) {
		return p.toks[i]
	}
	return token{}
}

func (p *parser) punct(ahead int, text string) bool { return p.peek(ahead).is(tPunct, text) }

func (p *parser) errorf(format string, args ...any) error {
	where := len(p.value)
	if p.at < len(p.toks) {
		where = p.toks[p.at].pos
	}
	return fmt.Errorf("at %d: %s", where+1, fmt.Sprintf(format, args...))
}

// parse reads the value's rules: separated by ";" (each replaces the ones before on the
// days it selects), "," after times, a modifier or a comment (an additional rule) and "||"
// (a fallback rule).
func parse(value string) ([]rule, error) {
	toks, err := lex(value)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, value: value}
	var rules []rule
	fallback, additional := false, false
	for p.at < len(p.toks) {
		if p.punct(0, ";") {
			p.at++
			fallback, additional = false, false
			continue
		}
		if p.punct(0, "||") {
			if len(rules) == 0 || p.punct(-1, ";") || p.punct(-1, "||") {
				return nil, p.errorf("nothing before the fallback rule")
			}
			p.at++
			fallback, additional = true, false
			continue
		}
		r, more, err := p.rule()
		if err != nil {
			return nil, err
		}
		r.fallback, r.additional = fallback, additional
		rules = append(rules, r)
		if wrap, ok := r.wrap(); ok {
			rules = append(rules, wrap)
		}
		additional = more
		if !more && p.at < len(p.toks) && !p.punct(0, ";") && !p.punct(0, "||") {
			return nil, p.errorf("expected ; or || between rules")
		}
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no rule")
	}
	return rules, nil
}

// wrap is the rule's part after midnight, if its times run past it.
func (r rule) wrap() (rule, bool) {
	var times []span
	for _, s := range r.times {
		if s.to > minutesInDay {
			times = append(times, span{from: 0, to: s.to - minutesInDay, openEnd: s.openEnd})
		}
	}
	if len(times) == 0 {
		return rule{}, false
	}
	w := rule{groups: make([][]selector, len(r.groups)), times: times, state: r.state, comment: r.comment, wrapped: true, variable: r.variable}
	for i, g := range r.groups {
		w.groups[i] = make([]selector, len(g))
		for j, s := range g {
			w.groups[i][j] = dayBefore{s}
		}
	}
	return w, true
}

// dayBefore selects the days after those s selects.
type dayBefore struct{ s selector }

func (d dayBefore) selects(_ *civil, c *calendar) bool {
	return d.s.selects(&c.before, c)
}

// The selector groups, in the order opening_hours.js checks them.
const (
	gYear = iota
	gHoliday
	gMonth
	gMonthDay
	gWeek
	gWeekday
	groupCount
)

// rule reads one rule; more is true when a "," ends it and an additional rule follows.
func (p *parser) rule() (r rule, more bool, err error) {
	groups := make([][]selector, groupCount)
	r.state = Open
	modified := false
	start := p.at
read:
	for p.at < len(p.toks) {
		t := p.peek(0)
		switch {
		case t.is(tPunct, ";"), t.is(tPunct, "||"):
			break read
		case t.kind == tWeekday:
			err = p.weekdays(groups)
		case t.kind == tAlways:
			r.times = append(r.times, span{from: 0, to: minutesInDay})
			p.at++
		case t.kind == tHoliday:
			if p.punct(1, ",") {
				err = p.holidays(groups, gWeekday)
			} else {
				err = p.holidays(groups, gHoliday)
			}
		case t.kind == tMonth && (p.peek(1).kind == tNumber || p.peek(1).kind == tWeekday),
			t.kind == tYear && p.peek(1).kind == tMonth && p.peek(2).kind == tNumber,
			t.kind == tYear && p.peek(1).kind == tEvent, t.kind == tEvent:
			err = p.monthDays(groups)
		case t.kind == tYear:
			err = p.years(groups)
		case t.kind == tMonth:
			err = p.months(groups, gMonth)
		case t.kind == tWeek:
			err = p.weeks(groups)
		case t.is(tPunct, ":") && p.at > start && len(r.times) == 0:
			p.at++ // "Mo-Fr: 08:00-18:00", a colon for readability
		case t.kind == tNumber && p.punct(1, ":"), t.kind == tTimeVar:
			if more, err = p.times(&r); more {
				break read
			}
		case t.kind == tState || t.kind == tComment:
			if t.kind == tState && modified {
				return r, false, p.errorf("a second modifier")
			}
			if t.kind == tState {
				r.state = map[string]State{"open": Open, "closed": Closed, "off": Closed, "unknown": Unknown}[t.text]
			} else if r.comment = t.text; !modified {
				r.state = Unknown // a comment alone: as opening_hours.js, unknown
			}
			modified = true
			if p.at++; p.punct(0, ",") {
				p.at++
				more = true
				break read
			}
		default:
			return r, false, p.errorf("unexpected %q", p.value[t.pos:min(len(p.value), t.pos+max(1, len(t.text)))])
		}
		if err != nil {
			return r, false, err
		}
	}
	r, err = r.finish(groups, p, start)
	return r, more, err
}

func (r rule) finish(groups [][]selector, p *parser, start int) (rule, error) {
	if p.at == start {
		return r, p.errorf("empty rule")
	}
	for _, g := range groups {
		if len(g) > 0 {
			r.groups = append(r.groups, g)
		}
	}
	// Two open ends or an open end beside another time of the same rule: opening_hours.js
	// reads these with exceptions of its own ("07:00+,12:00-16:00"); not guessed.
	for i, a := range r.times {
		for j, b := range r.times {
			if i != j && (a.openEnd || b.openEnd) && a.from < b.to && b.from < a.to {
				return r, fmt.Errorf("an open end overlaps another time of its rule")
			}
		}
	}
	return r, nil
}

// weekdays reads Mo-Fr,Su, Th[1], Su[2,4], Sa[1-3], and PH or SH after them.
func (p *parser) weekdays(groups [][]selector) error {
	for {
		t := p.peek(0)
		switch {
		case t.kind == tHoliday:
			return p.holidays(groups, gWeekday)
		case t.kind != tWeekday:
			return p.errorf("expected a weekday")
		case p.punct(1, "["):
			p.at += 2
			nums, err := p.numbers(-5, 5)
			if err != nil {
				return err
			}
			if !p.punct(0, "]") {
				return p.errorf("expected ]")
			}
			p.at++
			if p.punct(0, "+") || p.punct(0, "-") {
				return p.errorf("days added to a weekday of the month are not supported")
			}
			for _, n := range nums {
				if n == 0 {
					return p.errorf("weekday of the month 0")
				}
				groups[gWeekday] = append(groups[gWeekday], nthWeekday{weekday: time.Weekday(t.num), n: n})
			}
		case p.punct(1, "-") && p.peek(2).kind == tWeekday:
			groups[gWeekday] = append(groups[gWeekday], weekdays{from: time.Weekday(t.num), to: time.Weekday(p.peek(2).num)})
			p.at += 3
		default:
			groups[gWeekday] = append(groups[gWeekday], weekdays{from: time.Weekday(t.num), to: time.Weekday(t.num)})
			p.at++
		}
		if !p.punct(0, ",") || !(p.peek(1).kind == tWeekday || p.peek(1).kind == tHoliday) {
			return nil
		}
		p.at++
	}
}

// holidays reads PH, SH and lists of them into group g, and weekdays after a ",".
func (p *parser) holidays(groups [][]selector, g int) error {
	for {
		t := p.peek(0)
		switch {
		case t.kind == tWeekday:
			return p.weekdays(groups)
		case t.kind != tHoliday:
			return p.errorf("expected PH or SH")
		case t.text == "PH":
			groups[g] = append(groups[g], publicHolidays{})
		default:
			groups[g] = append(groups[g], schoolHolidays{})
		}
		p.at++
		if p.punct(0, "+") || p.punct(0, "-") {
			return p.errorf("days added to a holiday are not supported")
		}
		if !p.punct(0, ",") || !(p.peek(1).kind == tWeekday || p.peek(1).kind == tHoliday) {
			return nil
		}
		p.at++
	}
}

// numbers reads 1,3 or 1-3 or -1 within [lo, hi].
func (p *parser) numbers(lo, hi int) ([]int, error) {
	var out []int
	for {
		neg := 1
		if p.punct(0, "-") {
			neg = -1
			p.at++
		}
		if p.peek(0).kind != tNumber {
			return nil, p.errorf("expected a number")
		}
		a := neg * p.peek(0).num
		b := a
		p.at++
		if neg == 1 && p.punct(0, "-") && p.peek(1).kind == tNumber {
			b = p.peek(1).num
			p.at += 2
		}
		if a < lo || b > hi || b < a {
			return nil, p.errorf("number out of range %d to %d", lo, hi)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
		if !p.punct(0, ",") || !(p.peek(1).kind == tNumber || p.punct(1, "-")) {
			return out, nil
		}
		p.at++
	}
}

// years reads 2026, 2025-2027, 2026+, 2026-2030/2, 2026/2 and lists of them.
func (p *parser) years(groups [][]selector) error {
	for {
		t := p.peek(0)
		if t.kind != tYear {
			return p.errorf("expected a year")
		}
		y := years{from: t.num, to: t.num}
		p.at++
		switch {
		case p.punct(0, "-") && p.peek(1).kind == tYear:
			y.to = p.peek(1).num
			if y.to <= y.from {
				return p.errorf("year range backwards")
			}
			p.at += 2
			if p.punct(0, "/") && p.peek(1).kind == tNumber {
				y.step = p.peek(1).num
				p.at += 2
			}
		case p.punct(0, "/") && p.peek(1).kind == tNumber:
			y.to, y.step = 0, p.peek(1).num
			p.at += 2
		case p.punct(0, "+"):
			y.to = 0
			p.at++
		}
		if y.step == 0 && p.punct(-2, "/") {
			return p.errorf("a step of 0 years")
		}
		groups[gYear] = append(groups[gYear], y)
		if !p.punct(0, ",") || p.peek(1).kind != tYear {
			return nil
		}
		p.at++
	}
}

// months reads Dec, Jan-Nov, Oct-Mar and lists of them into group g.
func (p *parser) months(groups [][]selector, g int) error {
	for {
		t := p.peek(0)
		if t.kind != tMonth {
			return p.errorf("expected a month")
		}
		m := months{from: time.Month(t.num + 1), to: time.Month(t.num + 1)}
		p.at++
		if p.punct(0, "-") && p.peek(1).kind == tMonth {
			m.to = time.Month(p.peek(1).num + 1)
			p.at += 2
		}
		groups[g] = append(groups[g], m)
		if !p.punct(0, ",") || p.peek(1).kind != tMonth {
			return nil
		}
		p.at++
	}
}

// weeks reads week 01-53, week 02-52/2, week 53 and lists of them.
func (p *parser) weeks(groups [][]selector) error {
	p.at++ // "week"
	for {
		if p.peek(0).kind == tWeek {
			p.at++
		}
		t := p.peek(0)
		if t.kind != tNumber {
			return p.errorf("expected a week number")
		}
		w := weeks{from: t.num, to: t.num}
		p.at++
		if p.punct(0, "-") && p.peek(1).kind == tNumber {
			w.to = p.peek(1).num
			p.at += 2
			if p.punct(0, "/") && p.peek(1).kind == tNumber {
				w.step = p.peek(1).num
				if w.step < 2 || w.step > 26 {
					return p.errorf("week step %d is not 2 to 26", w.step)
				}
				p.at += 2
			}
		}
		if w.from < 1 || w.to > 53 || w.to < w.from {
			return p.errorf("weeks %d-%d are not within 1 to 53", w.from, w.to)
		}
		groups[gWeek] = append(groups[gWeek], w)
		if !p.punct(0, ",") || p.peek(1).kind != tNumber || p.punct(2, ":") {
			return nil
		}
		p.at++
	}
}

// monthDays reads dates and date ranges: Dec 24, Dec 25,26, Jul 13-31, Dec 21-Jan 03,
// 2026 Dec 21-2027 Jan 03, easter, easter -2 days, and a month before weekdays (Dec We).
func (p *parser) monthDays(groups [][]selector) error {
	for {
		// "Jan 10:00-12:00": a month and a time, not a date. "Dec Su[-1]" is the last Sunday
		// of December (opening_hours.js takes one number there, no list or range).
		if p.peek(0).kind == tMonth && p.peek(1).kind == tWeekday && p.punct(2, "[") &&
			!(p.peek(3).kind == tNumber && p.punct(4, "]") || p.punct(3, "-") && p.peek(4).kind == tNumber && p.punct(5, "]")) {
			return p.errorf("a month's weekday takes one number in []")
		}
		if p.peek(0).kind == tMonth && (p.peek(1).kind == tWeekday || p.punct(2, ":")) {
			return p.months(groups, gMonthDay)
		}
		from, err := p.dayOfMonth()
		if err != nil {
			return err
		}
		switch {
		case p.punct(0, "-") && (p.peek(1).kind == tMonth || p.peek(1).kind == tEvent || p.peek(1).kind == tYear):
			p.at++
			to, err := p.dayOfMonth()
			if err != nil {
				return err
			}
			if (from.year == 0) != (to.year == 0) {
				return p.errorf("a date range needs a year at both ends or at neither")
			}
			groups[gMonthDay] = append(groups[gMonthDay], dateRange{from: from, to: to})
		case from.easter:
			groups[gMonthDay] = append(groups[gMonthDay], easterDay{from})
		default:
			if err := p.daysOfMonth(groups, from); err != nil {
				return err
			}
		}
		if !p.punct(0, ",") || !(p.peek(1).kind == tMonth || p.peek(1).kind == tYear || p.peek(1).kind == tEvent) {
			return nil
		}
		p.at++
	}
}

// daysOfMonth reads what follows a month's first day: -31, /2, ,26 (days of that month).
func (p *parser) daysOfMonth(groups [][]selector, first dayOfMonth) error {
	for {
		m := monthDays{year: first.year, month: first.month, first: first.day, end: first.day + 1}
		if p.punct(0, "-") && p.peek(1).kind == tNumber && !p.punct(2, ":") {
			last := p.peek(1).num
			if last < first.day || !validDay(first.month, last) {
				return p.errorf("day range %d-%d", first.day, last)
			}
			m.end, m.isRange = last+1, true
			p.at += 2
			if p.punct(0, "/") && p.peek(1).kind == tNumber {
				if m.step = p.peek(1).num; m.step < 1 {
					return p.errorf("step 0")
				}
				p.at += 2
			}
		}
		groups[gMonthDay] = append(groups[gMonthDay], m)
		if !p.punct(0, ",") || p.peek(1).kind != tNumber || p.punct(2, ":") {
			return nil
		}
		if first.year != 0 {
			// opening_hours.js reads "2026 Dec 24,31" as something else from the second day on.
			return p.errorf("a list of days after a year; write 2026 Dec 24,2026 Dec 31")
		}
		p.at++
		first.day = p.peek(0).num
		if !validDay(first.month, first.day) {
			return p.errorf("%s has no day %d", first.month, first.day)
		}
		p.at++
	}
}

// dayOfMonth reads [year] month day, or [year] easter [+-n day(s)].
func (p *parser) dayOfMonth() (dayOfMonth, error) {
	var d dayOfMonth
	if p.peek(0).kind == tYear {
		d.year = p.peek(0).num
		p.at++
	}
	switch t := p.peek(0); t.kind {
	case tEvent:
		if d.year != 0 {
			// opening_hours.js takes that year's Easter in every year.
			return d, p.errorf("Easter after a year is not read")
		}
		d.easter = true
		p.at++
		if (p.punct(0, "+") || p.punct(0, "-")) && p.peek(1).kind == tNumber && p.peek(2).kind == tDays {
			d.offset = p.peek(1).num
			if p.punct(0, "-") {
				d.offset = -d.offset
			}
			if d.offset < -80 || d.offset > 249 {
				return d, p.errorf("Easter %+d days can fall in another year", d.offset)
			}
			p.at += 3
		}
		return d, nil
	case tMonth:
		if p.peek(1).kind != tNumber {
			return d, p.errorf("expected a day after the month")
		}
		d.month, d.day = time.Month(t.num+1), p.peek(1).num
		if !validDay(d.month, d.day) {
			return d, p.errorf("%s has no day %d", d.month, d.day)
		}
		p.at += 2
		return d, nil
	}
	return d, p.errorf("expected a date")
}

func validDay(m time.Month, d int) bool {
	last := time.Date(2024, m+1, 0, 0, 0, 0, 0, time.UTC).Day() // a leap year: Feb 29 exists
	return d >= 1 && d <= last
}

// times reads 08:00-18:00, 8:00-13:00,14:30-18:30, 22:00-02:00, 18:00-26:00, 18:00+,
// 08:00-18:00+, 24:00 as an end, sunrise-sunset; more is true when a "," after them starts
// an additional rule.
func (p *parser) times(r *rule) (more bool, err error) {
	for {
		from, fromVar, err := p.clock()
		if err != nil {
			return false, err
		}
		if !fromVar && from >= minutesInDay {
			return false, p.errorf("a time range starts at or after 24:00")
		}
		switch {
		case p.punct(0, "+"):
			p.at++
			r.times = append(r.times, openEnd(from))
		case p.punct(0, "-"):
			p.at++
			to, toVar, err := p.clock()
			if err != nil {
				return false, err
			}
			if to < from || to == from && !fromVar && !toVar {
				to += minutesInDay
			}
			if to > 2*minutesInDay {
				return false, p.errorf("a time range past the next midnight")
			}
			if fromVar || toVar {
				r.variable = true
			}
			r.times = append(r.times, span{from: from, to: to})
			if p.punct(0, "+") {
				p.at++
				end := to
				if end >= minutesInDay {
					return false, p.errorf("an open end after midnight")
				}
				r.times = append(r.times[:len(r.times)-1], openEnd(end), span{from: from, to: to})
			}
			if p.punct(0, "/") {
				return false, p.errorf("points in time and periods are not opening hours")
			}
		default:
			return false, p.errorf("expected - or + after a time")
		}
		if !p.punct(0, ",") {
			return false, nil
		}
		if next := p.peek(1); !(next.kind == tNumber && p.punct(2, ":") || next.kind == tTimeVar) {
			p.at++
			return true, nil
		}
		p.at++
	}
}

// openEnd is "HH:MM+": unknown from then for 8 hours after 22:00, 10 after 17:00 and
// otherwise until midnight, as opening_hours.js guesses the closing.
func openEnd(from int) span {
	switch {
	case from >= 22*60:
		return span{from: from, to: from + 8*60, openEnd: true}
	case from >= 17*60:
		return span{from: from, to: from + 10*60, openEnd: true}
	}
	return span{from: from, to: minutesInDay, openEnd: true}
}

// clock reads HH:MM (one or two digits for the hour, up to 48:00 as an end) or a time of
// the sun (its usual time: the rule is unknown on the days it applies).
func (p *parser) clock() (minutes int, variable bool, err error) {
	t := p.peek(0)
	if t.kind == tTimeVar {
		p.at++
		return map[string]int{"dawn": 5*60 + 30, "sunrise": 6 * 60, "sunset": 18 * 60, "dusk": 18*60 + 30}[t.text], true, nil
	}
	if t.kind != tNumber || !p.punct(1, ":") || p.peek(2).kind != tNumber {
		return 0, false, p.errorf("expected a time HH:MM")
	}
	if len(p.peek(2).text) != 2 || len(t.text) > 2 || p.peek(2).num > 59 {
		return 0, false, p.errorf("%s:%s is not a time", t.text, p.peek(2).text)
	}
	p.at += 3
	return t.num*60 + p.peek(-1).num, false, nil
}
