// A whole thread in one round trip: the thread, its owner, every step with its feedback, and
// every element. Tombstones of deleted threads are not returned. Timestamps come back as ISO
// strings: the driver's DateTime decoding costs more than the whole query for a long thread.
// mode: read
// params: threadId
// returns: thread, userId, userIdentifier, steps [{step, feedback}], elements
// values: plain
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  RETURN collect(CASE WHEN s IS NULL THEN null
                      ELSE {step: s {.*, createdAt: toString(s.createdAt),
                                        start: toString(s.start), end: toString(s.end)},
                            feedback: f {.id, .forId, .threadId, .value, .comment}} END) AS steps
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
RETURN t {.*, createdAt: toString(t.createdAt), lastActivity: toString(t.lastActivity),
       lastMessageAt: toString(t.lastMessageAt)} AS thread,
       u.id AS userId, u.identifier AS userIdentifier, steps, elements
