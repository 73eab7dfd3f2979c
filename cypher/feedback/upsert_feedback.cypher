// Keep one feedback per step: update the step's feedback if it has one, else create it with the
// given id (when that id is free) or a new one. Locks the step's thread (marking it
// :AnalyticsStale: the turn's feedback changed), as every write to its steps and feedback
// does, so concurrent upserts serialise. No row back means the step does not exist.
// mode: write
// params: forId, feedbackId, newId, value, comment, now
// returns: id
MATCH (s:Step {id: $forId})
OPTIONAL MATCH (t:Thread {id: s.threadId})
SET t._lock = true, t:AnalyticsStale
REMOVE t._lock
WITH s
OPTIONAL MATCH (current:Feedback)-[:RATED]->(s)
WITH s, head(collect(current)) AS current
OPTIONAL MATCH (given:Feedback {id: $feedbackId})
WITH s, CASE
          WHEN current IS NOT NULL THEN current.id
          WHEN $feedbackId IS NOT NULL AND given IS NULL THEN $feedbackId
          ELSE $newId
        END AS feedbackId
MERGE (f:Feedback {id: feedbackId})
ON CREATE SET f.createdAt = datetime($now)
SET f.value = $value, f.comment = $comment, f.forId = s.id, f.threadId = s.threadId,
    f.updatedAt = datetime($now)
MERGE (f)-[:RATED]->(s)
RETURN f.id AS id
