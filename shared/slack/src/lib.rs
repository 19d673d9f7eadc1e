//! Slack delivery (see issue 3).
