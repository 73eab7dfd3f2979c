// Delete one feedback by id, marking its thread :AnalyticsStale; returns how many were deleted
// (0 or 1). Locks the thread first, then finds the feedback again (a delete or a purge that
// committed meanwhile has taken it). The feedback of a deleted thread is left to
// thread/purge_deleted (0).
// mode: write
// params: feedbackId
// returns: deleted
OPTIONAL MATCH (found:Feedback {id: $feedbackId})
OPTIONAL MATCH (t:Thread {id: found.threadId})
SET t._lock = true
REMOVE t._lock
WITH t
WHERE t IS NULL OR NOT t:Deleted
SET t:AnalyticsStale
WITH t
OPTIONAL MATCH (f:Feedback {id: $feedbackId})
DETACH DELETE f
RETURN count(f) AS deleted
