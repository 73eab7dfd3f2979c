// A whole thread in one round trip: the thread, its owner, every step with its feedback, and
// every element. Tombstones of deleted threads are not returned. Each step is a list of values
// in records.STEP_COLUMNS order, read from properties(s) once, with its timestamps as epoch
// microseconds: for a long thread, maps with toString() timestamps cost the server and the
// driver almost twice as much, and DateTime values far more (the driver decodes them in Python).
// The steps come in rows of up to 100, which the server sends as it makes them: the client
// decodes and maps one row while the server reads the next (a 2,000-step thread's steps in one
// collected row took 1.4-1.5x as long; docs/performance.md, change 28). The first row (k = 0)
// also carries the thread, its owner and its elements; the others carry null there. A thread
// without steps is one row with an empty list. A step deleted since the thread's steps were
// collected has no properties left and is skipped.
// mode: read
// params: threadId
// returns: thread, userId, userIdentifier, elements (first row only), steps [[STEP_COLUMNS]]
// values: plain
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  RETURN collect(s) AS stepNodes
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
UNWIND CASE WHEN stepNodes = [] THEN [0] ELSE range(0, size(stepNodes) - 1, 100) END AS k
CALL (stepNodes, k) {
  UNWIND stepNodes[k..k + 100] AS s
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  WITH f, properties(s) AS p
  WHERE p.id IS NOT NULL
  RETURN collect([
           p.id, p.name, p.type, p.threadId, p.parentId, p.input, p.output, p.language,
           p.command, p.icon, p.isError, p.streaming, p.waitForAnswer, p.defaultOpen,
           p.autoCollapse, p.showInput, p.generation, p.modes, p.metadata, p.tags, p.favorite,
           p.createdAt.epochMillis * 1000 + p.createdAt.microsecond % 1000,
           p.start.epochMillis * 1000 + p.start.microsecond % 1000,
           p.end.epochMillis * 1000 + p.end.microsecond % 1000,
           f {.id, .forId, .threadId, .value, .comment}]) AS steps
}
RETURN CASE k WHEN 0 THEN t {.*, createdAt: toString(t.createdAt),
                             lastActivity: toString(t.lastActivity),
                             lastMessageAt: toString(t.lastMessageAt)} END AS thread,
       CASE k WHEN 0 THEN u.id END AS userId,
       CASE k WHEN 0 THEN u.identifier END AS userIdentifier,
       CASE k WHEN 0 THEN elements END AS elements,
       steps
