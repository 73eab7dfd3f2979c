// A user's favorite steps (metadata.favorite is true) from all their threads, newest first; each
// a list of values in records.STEP_COLUMNS order, as thread/get_thread returns them.
// mode: read
// params: userId
// returns: step [STEP_COLUMNS]
// values: plain
MATCH (s:Step)
WHERE s.favorite = true
MATCH (:User {id: $userId})-[:AUTHORED]->(t:Thread)-[:CONTAINS]->(s)
OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
WITH s, f, properties(s) AS p
RETURN [p.id, p.name, p.type, p.threadId, p.parentId, p.input, p.output, p.language,
       p.command, p.icon, p.isError, p.streaming, p.waitForAnswer, p.defaultOpen,
       p.autoCollapse, p.showInput, p.generation, p.modes, p.metadata, p.tags, p.favorite,
       p.createdAt.epochMillis * 1000 + p.createdAt.microsecond % 1000,
       p.start.epochMillis * 1000 + p.start.microsecond % 1000,
       p.end.epochMillis * 1000 + p.end.microsecond % 1000,
       f {.id, .forId, .threadId, .value, .comment}] AS step
ORDER BY s.createdAt DESC
