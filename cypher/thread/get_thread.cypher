// A whole thread in one round trip: the thread, its owner, every step with its feedback, and
// every element. Tombstones of deleted threads are not returned. Each step is a list of values
// in records.STEP_COLUMNS order, read from properties(s) once, with its timestamps as epoch
// microseconds: for a long thread, maps with toString() timestamps cost the server and the
// driver almost twice as much, and DateTime values far more (the driver decodes them in Python).
// mode: read
// params: threadId
// returns: thread, userId, userIdentifier, steps [[STEP_COLUMNS]], elements
// values: plain
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  WITH f, properties(s) AS p
  RETURN collect(CASE WHEN p IS NULL THEN null ELSE [
           p.id, p.name, p.type, p.threadId, p.parentId, p.input, p.output, p.language,
           p.command, p.icon, p.isError, p.streaming, p.waitForAnswer, p.defaultOpen,
           p.autoCollapse, p.showInput, p.generation, p.modes, p.metadata, p.tags, p.favorite,
           p.createdAt.epochMillis * 1000 + p.createdAt.microsecond % 1000,
           p.start.epochMillis * 1000 + p.start.microsecond % 1000,
           p.end.epochMillis * 1000 + p.end.microsecond % 1000,
           f {.id, .forId, .threadId, .value, .comment}] END) AS steps
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
RETURN t {.*, createdAt: toString(t.createdAt), lastActivity: toString(t.lastActivity),
       lastMessageAt: toString(t.lastMessageAt)} AS thread,
       u.id AS userId, u.identifier AS userIdentifier, steps, elements
