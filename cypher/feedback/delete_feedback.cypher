// Delete one feedback by id, marking its thread :AnalyticsStale; returns how many were deleted
// (0 or 1). Locks the thread first, then finds the feedback again (a delete or a purge that
// committed meanwhile has taken it). The feedback of a deleted thread is left to
// thread/purge_deleted (0).
// mode: write
// params: feedbackId
// returns: deleted
OPTIONAL MATCH (found:Feedback {id: $feedbackId})
WITH found.threadId AS threadId
OPTIONAL MATCH (t:Thread {id: threadId})
SET t._lock = true
REMOVE t._lock
WITH t, threadId
WHERE t IS NULL OR NOT t:Deleted
SET t:AnalyticsStale
WITH t, threadId
OPTIONAL MATCH (f:Feedback {id: $feedbackId})  // again, under the lock, still of that thread
WHERE threadId IS NULL OR f.threadId = threadId
DETACH DELETE f
RETURN count(f) AS deleted
