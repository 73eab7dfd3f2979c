// Delete one feedback by id, marking its thread :AnalyticsStale; returns how many were deleted
// (0 or 1).
// mode: write
// params: feedbackId
// returns: deleted
OPTIONAL MATCH (f:Feedback {id: $feedbackId})
OPTIONAL MATCH (t:Thread {id: f.threadId})
SET t._lock = true, t:AnalyticsStale
REMOVE t._lock
DETACH DELETE f
RETURN count(f) AS deleted
