// Delete one feedback by id; returns how many were deleted (0 or 1).
// mode: write
// params: feedbackId
// returns: deleted
OPTIONAL MATCH (f:Feedback {id: $feedbackId})
DETACH DELETE f
RETURN count(f) AS deleted
