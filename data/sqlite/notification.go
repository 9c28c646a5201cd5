package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// sortableTime writes t with nine fractional digits, so that times sort as text.
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }

// Subscribe implements data.Notifications.
func (db *DB) Subscribe(ctx context.Context, s data.Subscription) (data.Subscription, string, error) {
	s, err := data.CheckSubscription(s)
	if err != nil {
		return s, "", err
	}
	token := data.NewUnsubscribeToken()
	s.Secret, s.Confirmed, s.CreatedAt = data.NewWebhookSecret(), true, db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO subscriptions (url, topics, secret, token_hash, account_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			s.URL, data.JoinTopics(s.Topics), s.Secret, data.HashSecret(token), data.NullID(s.AccountID), formatTime(s.CreatedAt))
		if err != nil {
			return err
		}
		s.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return s, "", fmt.Errorf("subscribe: %w", err)
	}
	return s, token, nil
}

// SubscribeMail implements data.Notifications.
func (db *DB) SubscribeMail(ctx context.Context, s data.Subscription) (string, error) {
	s, err := data.CheckMailSubscription(s)
	if err != nil {
		return "", err
	}
	token, now := data.NewConfirmToken(), db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var confirmed bool
		err := tx.QueryRowContext(ctx, "SELECT confirmed FROM subscriptions WHERE email = ? AND COALESCE(account_id, 0) = ?",
			s.Email, s.AccountID).Scan(&confirmed)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (url, email, lang, topics, secret, token_hash, confirmed, confirm_hash, confirm_until, account_id, created_at)
				VALUES ('', ?, ?, ?, '', ?, 0, ?, ?, ?, ?)`, s.Email, s.Lang, data.JoinTopics(s.Topics), data.HashSecret(data.NewUnsubscribeToken()),
				data.HashSecret(token), sortableTime(now.Add(data.ConfirmWithin)), data.NullID(s.AccountID), formatTime(now))
			return err
		case err != nil:
			return err
		case confirmed:
			token = ""
			return nil
		}
		_, err = tx.ExecContext(ctx, "UPDATE subscriptions SET topics = ?, lang = ?, confirm_hash = ?, confirm_until = ? WHERE email = ? AND COALESCE(account_id, 0) = ?",
			data.JoinTopics(s.Topics), s.Lang, data.HashSecret(token), sortableTime(now.Add(data.ConfirmWithin)), s.Email, s.AccountID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("subscribe an address: %w", err)
	}
	return token, nil
}

// ConfirmSubscription implements data.Notifications.
func (db *DB) ConfirmSubscription(ctx context.Context, token string) (data.Subscription, error) {
	var s data.Subscription
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var topics, created string
		err := tx.QueryRowContext(ctx, `UPDATE subscriptions SET confirmed = 1, confirm_hash = NULL, confirm_until = NULL
			WHERE confirm_hash = ? AND confirm_until > ? RETURNING id, email, topics, created_at`,
			data.HashSecret(token), sortableTime(db.now())).Scan(&s.ID, &s.Email, &topics, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return &data.Error{Code: data.ENOTFOUND, Message: "no subscription waits for this confirmation, or no longer"}
		}
		if err != nil {
			return err
		}
		s.Topics, s.Confirmed = data.SplitTopics(topics), true
		s.CreatedAt, err = time.Parse(time.RFC3339Nano, created)
		return err
	})
	if err != nil {
		return s, fmt.Errorf("confirm a subscription: %w", err)
	}
	return s, nil
}

// AccountSubscriptions implements data.Notifications.
func (db *DB) AccountSubscriptions(ctx context.Context, account int64) ([]data.Subscription, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, url, email, topics, confirmed, created_at FROM subscriptions
		WHERE account_id = ? ORDER BY id`, account)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of account %d: %w", account, err)
	}
	defer rows.Close()
	var out []data.Subscription
	for rows.Next() {
		s := data.Subscription{AccountID: account}
		var topics, created string
		if err := rows.Scan(&s.ID, &s.URL, &s.Email, &topics, &s.Confirmed, &created); err != nil {
			return nil, fmt.Errorf("read subscriptions of account %d: %w", account, err)
		}
		s.Topics = data.SplitTopics(topics)
		if s.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("read subscription %d: %w", s.ID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteAccountSubscription implements data.Notifications.
func (db *DB) DeleteAccountSubscription(ctx context.Context, account, id int64) error {
	if err := db.deleteSubscription(ctx, "DELETE FROM subscriptions WHERE id = ? AND account_id = ?", id, account); err != nil {
		return fmt.Errorf("delete subscription %d of account %d: %w", id, account, err)
	}
	return nil
}

// deleteSubscription runs a DELETE of subscriptions (their deliveries and links go with
// them); ENOTFOUND when it deletes none.
func (db *DB) deleteSubscription(ctx context.Context, query string, args ...any) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errNoSubscription(err)
		}
		return nil
	})
}

// UnsubscribeLinks implements data.Notifications.
func (db *DB) UnsubscribeLinks(ctx context.Context, subscriptions []int64) ([]string, error) {
	tokens := make([]string, len(subscriptions))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO unsubscribe_links (token_hash, subscription_id, created_at) VALUES (?, ?, ?)")
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := sortableTime(db.now()) // compared as text when pruned
		for i, id := range subscriptions {
			tokens[i] = data.NewUnsubscribeToken()
			if _, err := stmt.ExecContext(ctx, data.HashSecret(tokens[i]), id, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unsubscribe links for %d subscriptions: %w", len(subscriptions), err)
	}
	return tokens, nil
}

// Unsubscribe implements data.Notifications.
func (db *DB) Unsubscribe(ctx context.Context, token string) error {
	hash := data.HashSecret(token)
	err := db.deleteSubscription(ctx, `DELETE FROM subscriptions WHERE token_hash = ?
		OR id = (SELECT subscription_id FROM unsubscribe_links WHERE token_hash = ?)`, hash, hash)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	return nil
}

func errNoSubscription(err error) error {
	if err != nil {
		return err
	}
	return &data.Error{Code: data.ENOTFOUND, Message: "no subscription has this token"}
}

// RecordStateChange implements data.Notifications.
func (db *DB) RecordStateChange(ctx context.Context, c data.StateChange) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		notBefore := c.At
		if c.To != data.TopicUp {
			// An "up" not sent yet is withdrawn: a flap within the hold.
			if _, err := tx.ExecContext(ctx, "DELETE FROM notification_events WHERE target = ? AND topic = ? AND not_before > ?",
				c.Target, data.TopicUp, sortableTime(c.At)); err != nil {
				return err
			}
		}
		switch c.To {
		case data.TopicDown:
			if err := openAutomaticIncident(ctx, tx, c.Target, c.IncidentTitle, c.IncidentMessage, c.At); err != nil {
				return err
			}
		case data.TopicUp:
			if err := resolveAutomaticIncidents(ctx, tx, c.Target, c.Message, c.At); err != nil {
				return err
			}
			notBefore = c.At.Add(c.HoldUp)
		}
		var last string
		err := tx.QueryRowContext(ctx, "SELECT topic FROM notification_events WHERE target = ? AND topic <> 'maintenance' ORDER BY id DESC LIMIT 1",
			c.Target).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !data.News(data.Topic(last), c.To) {
			return nil
		}
		return addEvent(ctx, tx, data.Event{Target: c.Target, Topic: c.To, Message: c.Message, At: c.At, NotBefore: notBefore})
	})
	if err != nil {
		return fmt.Errorf("record %s going %s: %w", c.Target, c.To, err)
	}
	return nil
}

// addEvent writes an event and a delivery for every confirmed subscription to its topic.
func addEvent(ctx context.Context, tx *sql.Tx, e data.Event) error {
	var ends any
	if !e.EndsAt.IsZero() {
		ends = formatTime(e.EndsAt)
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO notification_events (target, topic, message, at, ends_at, cancelled, not_before) VALUES (?, ?, ?, ?, ?, ?, ?)",
		e.Target, e.Topic, e.Message, formatTime(e.At), ends, e.Cancelled, sortableTime(e.NotBefore))
	if err != nil {
		return err
	}
	event, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, subscription_id, state, due_at)
		SELECT ?, s.id, 'pending', ? FROM subscriptions s WHERE s.topics LIKE ? AND s.confirmed = 1
			AND (? = 'maintenance' OR NOT `+heardAlready+`)`,
		event, sortableTime(e.NotBefore), "%,"+string(e.Topic)+",%", e.Topic, e.Target, e.Topic, e.Target, e.Topic)
	return err
}

// heardAlready says (for subscription s, the target and topic given three times: target,
// topic, target, topic) that the state is no news to it: the last it heard of the target
// (sent or on its way) was this topic, and the service has not been the other side of "up"
// since (a flap through a state it does not hear must not tell it the same twice; a new
// outage after a recovery it did not hear is news).
const heardAlready = `EXISTS (SELECT 1 FROM deliveries d JOIN notification_events e ON e.id = d.event_id
	WHERE d.id = (SELECT MAX(d2.id) FROM deliveries d2 JOIN notification_events e2 ON e2.id = d2.event_id
		WHERE d2.subscription_id = s.id AND e2.target = ? AND e2.topic <> 'maintenance' AND d2.state <> 'given_up')
	AND e.topic = ?
	AND NOT EXISTS (SELECT 1 FROM notification_events x WHERE x.target = ? AND x.id > e.id AND x.topic <> 'maintenance'
		AND (x.topic = 'up') <> (? = 'up')))`

// DueDeliveries implements data.Notifications.
func (db *DB) DueDeliveries(ctx context.Context, q data.DueQuery) ([]data.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.attempts, d.due_at, e.id, e.target, e.topic, e.message, e.at, COALESCE(e.ends_at, ''), e.cancelled, e.not_before,
			s.id, s.url, s.email, s.lang, s.topics, s.secret, s.created_at
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
		WHERE d.state = 'pending' AND d.due_at <= ? AND (s.last_sent_at IS NULL OR s.last_sent_at <= ?)
			AND (? = '' OR (s.email <> '') = (? = 'mail'))
		ORDER BY d.due_at, d.id LIMIT ?`, sortableTime(q.Now), sortableTime(q.QuietSince), q.Channel, q.Channel, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	defer rows.Close()
	var out []data.Delivery
	for rows.Next() {
		var d data.Delivery
		var due, at, ends, notBefore, created, topics string
		if err := rows.Scan(&d.ID, &d.Attempts, &due, &d.Event.ID, &d.Event.Target, &d.Event.Topic, &d.Event.Message, &at, &ends, &d.Event.Cancelled, &notBefore,
			&d.Subscription.ID, &d.Subscription.URL, &d.Subscription.Email, &d.Subscription.Lang, &topics, &d.Subscription.Secret, &created); err != nil {
			return nil, fmt.Errorf("read due deliveries: %w", err)
		}
		d.Subscription.Topics, d.Subscription.Confirmed = data.SplitTopics(topics), true
		for _, f := range []struct {
			s string
			t *time.Time
		}{{due, &d.DueAt}, {at, &d.Event.At}, {ends, &d.Event.EndsAt}, {notBefore, &d.Event.NotBefore}, {created, &d.Subscription.CreatedAt}} {
			if f.s == "" {
				continue
			}
			if *f.t, err = time.Parse(time.RFC3339Nano, f.s); err != nil {
				return nil, fmt.Errorf("read delivery %d: %w", d.ID, err)
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveriesSent implements data.Notifications.
func (db *DB) DeliveriesSent(ctx context.Context, ids []int64, at time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?")
		if err != nil {
			return err
		}
		defer stmt.Close()
		last, err := tx.PrepareContext(ctx, "UPDATE subscriptions SET last_sent_at = ? WHERE id = (SELECT subscription_id FROM deliveries WHERE id = ?)")
		if err != nil {
			return err
		}
		defer last.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, formatTime(at), id); err != nil {
				return err
			}
			if _, err := last.ExecContext(ctx, sortableTime(at), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%d deliveries sent: %w", len(ids), err)
	}
	return nil
}

// DeliveryFailed implements data.Notifications.
func (db *DB) DeliveryFailed(ctx context.Context, id int64, problem string, retry time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		state, due := "pending", sortableTime(retry)
		if retry.IsZero() {
			state = "given_up"
		}
		_, err := tx.ExecContext(ctx, "UPDATE deliveries SET state = ?, attempts = attempts + 1, due_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
			state, due, problem, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delivery %d failed: %w", id, err)
	}
	return nil
}

// CountDeliveries implements data.Notifications.
func (db *DB) CountDeliveries(ctx context.Context) (data.DeliveryCounts, error) {
	var c data.DeliveryCounts
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'sent'),
		COUNT(*) FILTER (WHERE state = 'given_up') FROM deliveries`).Scan(&c.Pending, &c.Sent, &c.GivenUp)
	if err != nil {
		return c, fmt.Errorf("count deliveries: %w", err)
	}
	return c, nil
}

// PruneNotifications implements data.Notifications.
func (db *DB) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notification_events WHERE not_before < ? AND NOT EXISTS
			(SELECT 1 FROM deliveries WHERE event_id = notification_events.id AND state = 'pending')
			AND id NOT IN (SELECT MAX(id) FROM notification_events WHERE topic <> 'maintenance' GROUP BY target)`, sortableTime(before))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		now := db.now()
		if _, err = tx.ExecContext(ctx, "DELETE FROM subscriptions WHERE confirmed = 0 AND confirm_until <= ?", sortableTime(now)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM unsubscribe_links WHERE created_at < ?", sortableTime(now.Add(-data.UnsubscribeLinkLife)))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", err)
	}
	return int(n), nil
}

// GivenUpDeliveries implements data.Notifications.
func (db *DB) GivenUpDeliveries(ctx context.Context, limit int) ([]data.GivenUp, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, e.topic, e.at, s.url, s.email, d.attempts, d.last_error
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
		WHERE d.state = 'given_up' ORDER BY d.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("given-up deliveries: %w", err)
	}
	defer rows.Close()
	var out []data.GivenUp
	for rows.Next() {
		var g data.GivenUp
		var at string
		if err := rows.Scan(&g.ID, &g.Topic, &at, &g.URL, &g.Email, &g.Attempts, &g.Problem); err != nil {
			return nil, fmt.Errorf("read given-up deliveries: %w", err)
		}
		if g.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("read given-up delivery %d: %w", g.ID, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
