// Bulk writer: one batch of whole threads (threads, steps, parent links, elements, feedback) in
// one transaction, building the graph that update_thread, create_step, create_element and
// upsert_feedback build call by call (see graph_layer/seed/bulk.py for the row shapes; timestamps
// arrive as ISO text, as in step/upsert_step).
// mode: write
// params: threads, steps, elements, feedback, now
// returns: threads, steps, links, elements, feedback
UNWIND $threads AS row
MATCH (u:User {id: row.userId})
MERGE (t:Thread {id: row.id})
ON CREATE SET t.createdAt = datetime($now)
SET t += row.props, t.lastActivity = datetime(row.lastActivity),
    t.lastMessageAt = datetime(row.lastMessageAt),
    t.userId = u.id, t:AnalyticsStale
MERGE (u)-[:AUTHORED]->(t)
WITH count(*) AS threads
CALL () {
  UNWIND $steps AS row
  MATCH (t:Thread {id: row.threadId})
  MERGE (s:Step {id: row.stepId})
  ON CREATE SET s.threadId = row.threadId
  SET s += row.props, s.createdAt = datetime(row.createdAt), s.start = datetime(row.start),
      s.end = coalesce(datetime(row.end), s.end), s.type = row.type,
      s.isError = coalesce(s.isError, false), s.userId = t.userId,
      s.metadata = row.metadata, s.favorite = CASE WHEN row.favorite THEN true END,
      s.durationMs = datetime(row.end).epochMillis - datetime(row.start).epochMillis,
      s.name = coalesce(row.props.name, '')
  FOREACH (_ IN CASE WHEN row.type ENDS WITH '_message' THEN [1] ELSE [] END | SET s:Message)
  FOREACH (_ IN CASE WHEN row.type ENDS WITH '_message' THEN [] ELSE [1] END | REMOVE s:Message)
  MERGE (t)-[:CONTAINS]->(s)
  RETURN count(*) AS steps
}
CALL () {
  UNWIND $steps AS row
  WITH row WHERE row.parentId IS NOT NULL
  MATCH (p:Step {id: row.parentId}), (s:Step {id: row.stepId})
  MERGE (p)-[:PARENT_OF]->(s)
  RETURN count(*) AS links
}
CALL () {
  UNWIND $elements AS row
  MATCH (t:Thread {id: row.threadId}), (s:Step {id: row.forId})
  MERGE (e:Element {id: row.elementId})
  ON CREATE SET e.threadId = row.threadId
  SET e += row.props
  MERGE (t)-[:CONTAINS]->(e)
  MERGE (s)-[:CONTAINS]->(e)
  RETURN count(*) AS elements
}
CALL () {
  UNWIND $feedback AS row
  MATCH (s:Step {id: row.forId})
  MERGE (f:Feedback {id: row.id})
  ON CREATE SET f.createdAt = datetime($now)
  SET f.value = row.value, f.comment = row.comment, f.forId = s.id, f.threadId = s.threadId,
      f.updatedAt = datetime($now)
  MERGE (f)-[:RATED]->(s)
  RETURN count(*) AS feedback
}
RETURN threads, steps, links, elements, feedback
