package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// Subscribe implements data.Notifications.
func (db *DB) Subscribe(ctx context.Context, s data.Subscription) (data.Subscription, string, error) {
	s, err := data.CheckSubscription(s)
	if err != nil {
		return s, "", err
	}
	token := data.NewUnsubscribeToken()
	s.Secret, s.Confirmed, s.CreatedAt = data.NewWebhookSecret(), true, db.now().UTC()
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "INSERT INTO subscriptions (url, topics, secret, token_hash, account_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			s.URL, data.JoinTopics(s.Topics), s.Secret, data.HashSecret(token), data.NullID(s.AccountID), s.CreatedAt).Scan(&s.ID)
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
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		// A confirmed address stays as it is; one waiting takes the new topics and token.
		var confirmed bool
		err := tx.QueryRow(ctx, `INSERT INTO subscriptions (url, email, lang, topics, secret, token_hash, confirmed, confirm_hash, confirm_until, account_id, created_at)
			VALUES ('', $1, $8, $2, '', $3, false, $4, $5, $6, $7)
			ON CONFLICT (email, COALESCE(account_id, 0)) WHERE email <> '' DO UPDATE SET topics = EXCLUDED.topics, lang = EXCLUDED.lang,
				confirm_hash = EXCLUDED.confirm_hash, confirm_until = EXCLUDED.confirm_until WHERE NOT subscriptions.confirmed
			RETURNING confirmed`, s.Email, data.JoinTopics(s.Topics), data.HashSecret(data.NewUnsubscribeToken()),
			data.HashSecret(token), now.Add(data.ConfirmWithin), data.NullID(s.AccountID), now, s.Lang).Scan(&confirmed)
		if errors.Is(err, pgx.ErrNoRows) { // confirmed already: nothing updated
			token = ""
			return nil
		}
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var topics string
		err := tx.QueryRow(ctx, `UPDATE subscriptions SET confirmed = true, confirm_hash = NULL, confirm_until = NULL
			WHERE confirm_hash = $1 AND confirm_until > $2 RETURNING id, email, topics, created_at`,
			data.HashSecret(token), db.now()).Scan(&s.ID, &s.Email, &topics, &s.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return &data.Error{Code: data.ENOTFOUND, Message: "no subscription waits for this confirmation, or no longer"}
		}
		s.Topics, s.Confirmed, s.CreatedAt = data.SplitTopics(topics), true, s.CreatedAt.UTC()
		return err
	})
	if err != nil {
		return s, fmt.Errorf("confirm a subscription: %w", err)
	}
	return s, nil
}

// AccountSubscriptions implements data.Notifications.
func (db *DB) AccountSubscriptions(ctx context.Context, account int64) ([]data.Subscription, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, url, email, topics, confirmed, created_at FROM subscriptions
		WHERE account_id = $1 ORDER BY id`, account)
	if err != nil {
		return nil, read("subscriptions of an account", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Subscription, error) {
		s := data.Subscription{AccountID: account}
		var topics string
		err := row.Scan(&s.ID, &s.URL, &s.Email, &topics, &s.Confirmed, &s.CreatedAt)
		s.Topics, s.CreatedAt = data.SplitTopics(topics), s.CreatedAt.UTC()
		return s, err
	})
	if err != nil {
		return nil, read("subscriptions of an account", err)
	}
	return out, nil
}

// DeleteAccountSubscription implements data.Notifications.
func (db *DB) DeleteAccountSubscription(ctx context.Context, account, id int64) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM subscriptions WHERE id = $1 AND account_id = $2", id, account)
		if err == nil && tag.RowsAffected() == 0 {
			err = &data.Error{Code: data.ENOTFOUND, Message: "no subscription of this account has this id"}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete subscription %d of account %d: %w", id, account, err)
	}
	return nil
}

// UnsubscribeLinks implements data.Notifications.
func (db *DB) UnsubscribeLinks(ctx context.Context, subscriptions []int64) ([]string, error) {
	tokens := make([]string, len(subscriptions))
	hashes := make([]string, len(subscriptions))
	for i := range subscriptions {
		tokens[i] = data.NewUnsubscribeToken()
		hashes[i] = data.HashSecret(tokens[i])
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO unsubscribe_links (token_hash, subscription_id, created_at)
			SELECT h, s, $3 FROM unnest($1::text[], $2::bigint[]) AS l (h, s)`, hashes, subscriptions, db.now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unsubscribe links for %d subscriptions: %w", len(subscriptions), err)
	}
	return tokens, nil
}

// Unsubscribe implements data.Notifications.
func (db *DB) Unsubscribe(ctx context.Context, token string) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE token_hash = $1
			OR id = (SELECT subscription_id FROM unsubscribe_links WHERE token_hash = $1)`, data.HashSecret(token))
		if err == nil && tag.RowsAffected() == 0 {
			err = &data.Error{Code: data.ENOTFOUND, Message: "no subscription has this token"}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	return nil
}

// RecordStateChange implements data.Notifications.
func (db *DB) RecordStateChange(ctx context.Context, c data.StateChange) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// One change of a target at a time (two processes overlapping on the lease).
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('notify:' || $1))", c.Target); err != nil {
			return err
		}
		notBefore := c.At
		if c.To != data.TopicUp {
			// An "up" not sent yet is withdrawn: a flap within the hold.
			if _, err := tx.Exec(ctx, "DELETE FROM notification_events WHERE target = $1 AND topic = $2 AND not_before > $3",
				c.Target, data.TopicUp, c.At); err != nil {
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
		err := tx.QueryRow(ctx, "SELECT topic FROM notification_events WHERE target = $1 AND topic <> 'maintenance' ORDER BY id DESC LIMIT 1",
			c.Target).Scan(&last)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
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
func addEvent(ctx context.Context, tx pgx.Tx, e data.Event) error {
	var ends *time.Time
	if !e.EndsAt.IsZero() {
		ends = &e.EndsAt
	}
	var event int64
	if err := tx.QueryRow(ctx, "INSERT INTO notification_events (target, topic, message, at, ends_at, cancelled, not_before) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		e.Target, e.Topic, e.Message, e.At, ends, e.Cancelled, e.NotBefore).Scan(&event); err != nil {
		return err
	}
	// A state is no news to a subscriber when the last it heard of the target (sent or on
	// its way) was this topic and the service has not been the other side of "up" since: a
	// flap through a state it does not hear must not tell it the same twice, and a new outage
	// after a recovery it did not hear is news.
	_, err := tx.Exec(ctx, `INSERT INTO deliveries (event_id, subscription_id, state, due_at)
		SELECT $1, s.id, 'pending', $2 FROM subscriptions s WHERE s.topics LIKE $3 AND s.confirmed
			AND ($4 = 'maintenance' OR NOT EXISTS (SELECT 1 FROM deliveries d JOIN notification_events e ON e.id = d.event_id
				WHERE d.id = (SELECT MAX(d2.id) FROM deliveries d2 JOIN notification_events e2 ON e2.id = d2.event_id
					WHERE d2.subscription_id = s.id AND e2.target = $5 AND e2.topic <> 'maintenance' AND d2.state <> 'given_up')
				AND e.topic = $4
				AND NOT EXISTS (SELECT 1 FROM notification_events x WHERE x.target = $5 AND x.id > e.id AND x.topic <> 'maintenance'
					AND (x.topic = 'up') <> ($4 = 'up'))))`,
		event, e.NotBefore, "%,"+string(e.Topic)+",%", string(e.Topic), e.Target)
	return err
}

// DueDeliveries implements data.Notifications.
func (db *DB) DueDeliveries(ctx context.Context, q data.DueQuery) ([]data.Delivery, error) {
	rows, err := db.pool.Query(ctx, `SELECT d.id, d.attempts, d.due_at, e.id, e.target, e.topic, e.message, e.at, e.ends_at, e.cancelled, e.not_before,
			s.id, s.url, s.email, s.lang, s.topics, s.secret, s.created_at
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
		WHERE d.state = 'pending' AND d.due_at <= $1 AND (s.last_sent_at IS NULL OR s.last_sent_at <= $2)
			AND ($3 = '' OR (s.email <> '') = ($3 = 'mail'))
		ORDER BY d.due_at, d.id LIMIT $4`, q.Now, q.QuietSince, string(q.Channel), q.Limit)
	if err != nil {
		return nil, read("due deliveries", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Delivery, error) {
		var d data.Delivery
		var topics string
		var ends *time.Time
		err := row.Scan(&d.ID, &d.Attempts, &d.DueAt, &d.Event.ID, &d.Event.Target, &d.Event.Topic, &d.Event.Message, &d.Event.At, &ends,
			&d.Event.Cancelled, &d.Event.NotBefore, &d.Subscription.ID, &d.Subscription.URL, &d.Subscription.Email, &d.Subscription.Lang, &topics, &d.Subscription.Secret, &d.Subscription.CreatedAt)
		d.Subscription.Topics, d.Subscription.Confirmed = data.SplitTopics(topics), true
		if ends != nil {
			d.Event.EndsAt = *ends
		}
		for _, t := range []*time.Time{&d.DueAt, &d.Event.At, &d.Event.EndsAt, &d.Event.NotBefore, &d.Subscription.CreatedAt} {
			*t = t.UTC()
		}
		return d, err
	})
	if err != nil {
		return nil, read("due deliveries", err)
	}
	return out, nil
}

// DeliveriesSent implements data.Notifications.
func (db *DB) DeliveriesSent(ctx context.Context, ids []int64, at time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = $1, last_error = '' WHERE id = ANY($2)", at, ids); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE subscriptions SET last_sent_at = $1 WHERE id IN (SELECT subscription_id FROM deliveries WHERE id = ANY($2))", at, ids)
		return err
	})
	if err != nil {
		return fmt.Errorf("%d deliveries sent: %w", len(ids), err)
	}
	return nil
}

// DeliveryFailed implements data.Notifications.
func (db *DB) DeliveryFailed(ctx context.Context, id int64, problem string, retry time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		state, due := "pending", retry
		if retry.IsZero() {
			state, due = "given_up", db.now()
		}
		_, err := tx.Exec(ctx, "UPDATE deliveries SET state = $1, attempts = attempts + 1, due_at = $2, last_error = $3 WHERE id = $4 AND state = 'pending'",
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
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'sent'),
		COUNT(*) FILTER (WHERE state = 'given_up') FROM deliveries`).Scan(&c.Pending, &c.Sent, &c.GivenUp)
	if err != nil {
		return c, read("count deliveries", err)
	}
	return c, nil
}

// PruneNotifications implements data.Notifications.
func (db *DB) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notification_events WHERE not_before < $1 AND NOT EXISTS
			(SELECT 1 FROM deliveries WHERE event_id = notification_events.id AND state = 'pending')
			AND id NOT IN (SELECT MAX(id) FROM notification_events WHERE topic <> 'maintenance' GROUP BY target)`, before)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		now := db.now()
		if _, err := tx.Exec(ctx, "DELETE FROM subscriptions WHERE NOT confirmed AND confirm_until <= $1", now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM unsubscribe_links WHERE created_at < $1", now.Add(-data.UnsubscribeLinkLife))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", err)
	}
	return int(n), nil
}

// GivenUpDeliveries implements data.Notifications.
func (db *DB) GivenUpDeliveries(ctx context.Context, limit int) ([]data.GivenUp, error) {
	rows, err := db.pool.Query(ctx, `SELECT d.id, e.topic, e.at, s.url, s.email, d.attempts, d.last_error
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
		WHERE d.state = 'given_up' ORDER BY d.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, read("given-up deliveries", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.GivenUp, error) {
		var g data.GivenUp
		err := row.Scan(&g.ID, &g.Topic, &g.At, &g.URL, &g.Email, &g.Attempts, &g.Problem)
		g.At = g.At.UTC()
		return g, err
	})
	if err != nil {
		return nil, read("given-up deliveries", err)
	}
	return out, nil
}
