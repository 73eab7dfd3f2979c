// A whole thread in one round trip: the thread, its owner, every step with its feedback, and
// every element. Tombstones of deleted threads are not returned.
// mode: read
// params: threadId
// returns: thread, userId, userIdentifier, steps [{step, feedback}], elements
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  RETURN collect(CASE WHEN s IS NULL THEN null
                      ELSE {step: properties(s), feedback: properties(f)} END) AS steps
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
RETURN properties(t) AS thread, u.id AS userId, u.identifier AS userIdentifier, steps, elements
