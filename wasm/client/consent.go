package client

// SetConsent changes the consent level sent in every later hello. The
// viewer calls it when the shopper changes their choice (and sends
// consent.update for the live connection), so a reconnect keeps the new
// level: a hello that resumes a session replaces the session's consent.
func (c *Client) SetConsent(consent string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opts.Consent = consent
}

// Consent returns the consent level the next hello sends.
func (c *Client) Consent() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts.Consent
}

// Resume sets the session id the first hello sends, so a reloaded page
// continues the session it had (the server starts a fresh one when the id
// is unknown or expired). It has no effect once a session is known.
func (c *Client) Resume(session string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == "" {
		c.session = session
	}
}
