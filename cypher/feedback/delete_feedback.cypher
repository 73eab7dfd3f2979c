// Delete one feedback by id, marking its thread :AnalyticsStale; returns how many were deleted
// (0 or 1). The feedback of a deleted thread is left to thread/purge_deleted (0).
// mode: write
// params: feedbackId
// returns: deleted
OPTIONAL MATCH (f:Feedback {id: $feedbackId})
OPTIONAL MATCH (t:Thread {id: f.threadId})
SET t._lock = true
REMOVE t._lock
WITH f, t
WHERE t IS NULL OR NOT t:Deleted
SET t:AnalyticsStale
DETACH DELETE f
RETURN count(f) AS deleted
