// Refresh the analytics summaries of up to $batch threads marked :AnalyticsStale (every write
// that changes what the analyses read marks its thread). Per thread, its shape on the thread:
// shapeSteps, shapeDepth (steps on the longest root-to-leaf PARENT_OF chain), shapeMaxBranching
// (most children of one step), shapeToolSteps, shapeLlmSteps, shapeTurns (user messages),
// shapeErrors. Per turn (a run under a user message, in a thread with an owner), on the run:
// turnAt (the message's createdAt), turnPath (the step types from the message through the
// run's descendants in start order), turnTools, turnNames, turnModels (distinct tool names,
// step names and llm models below the run) and turnFeedback (the lowest value given to the
// run's answer). Each thread is locked first, as writers lock it, so a write that commits
// during the refresh marks the thread stale again instead of being missed. Returns how many
// stale threads it took (deleted ones are only unmarked): fewer than $batch means none is left.
// mode: write
// params: batch
// returns: taken
MATCH (t:AnalyticsStale)
WITH t ORDER BY t.id LIMIT $batch  // locked in id order, as batched writes lock threads
SET t._lock = true
REMOVE t._lock, t:AnalyticsStale
WITH t
CALL (t) {
  WITH t WHERE NOT t:Deleted
  CALL (t) {
    MATCH (t)-[:CONTAINS]->(s:Step) WHERE s.turnAt IS NOT NULL
    REMOVE s.turnAt, s.turnPath, s.turnTools, s.turnNames, s.turnModels, s.turnFeedback
  }
  CALL (t) {
    WITH t WHERE EXISTS { (:User)-[:AUTHORED]->(t) }
    MATCH (t)-[:CONTAINS]->(m:Step {type: 'user_message'})-[:PARENT_OF]->(run:Step {type: 'run'})
    CALL (run) {
      OPTIONAL MATCH (run)-[:PARENT_OF]->(:Step {type: 'assistant_message'})<-[:RATED]-(f:Feedback)
      RETURN min(f.value) AS value
    }
    CALL (run) {
      OPTIONAL MATCH (run)-[:PARENT_OF*]->(d:Step)
      WITH d ORDER BY d.start, d.createdAt, d.id
      RETURN reduce(acc = 'user_message > run', x IN collect(d.type) | acc + ' > ' + x) AS path,
             collect(DISTINCT CASE d.type WHEN 'tool' THEN d.name END) AS tools,
             collect(DISTINCT d.name) AS names, collect(DISTINCT d.model) AS models
    }
    SET run.turnAt = m.createdAt, run.turnPath = path, run.turnTools = tools,
        run.turnNames = names, run.turnModels = models, run.turnFeedback = value
  }
  CALL (t) {
    OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
    RETURN count(s) AS steps,
           max(COUNT { (s)-[:PARENT_OF]->() }) AS maxBranching,
           sum(CASE s.type WHEN 'tool' THEN 1 ELSE 0 END) AS toolSteps,
           sum(CASE s.type WHEN 'llm' THEN 1 ELSE 0 END) AS llmSteps,
           sum(CASE s.type WHEN 'user_message' THEN 1 ELSE 0 END) AS turns,
           sum(CASE WHEN s.isError THEN 1 ELSE 0 END) AS errors
  }
  CALL (t) {
    // PARENT_OF only links steps, and the deepest path from a root ends at a leaf.
    OPTIONAL MATCH (t)-[:CONTAINS]->(root:Step) WHERE NOT EXISTS { ()-[:PARENT_OF]->(root) }
    OPTIONAL MATCH path = (root)-[:PARENT_OF*0..]->()
    RETURN max(length(path)) + 1 AS depth
  }
  SET t.shapeSteps = steps, t.shapeDepth = depth, t.shapeMaxBranching = maxBranching,
      t.shapeToolSteps = toolSteps, t.shapeLlmSteps = llmSteps, t.shapeTurns = turns,
      t.shapeErrors = errors
}
RETURN count(t) AS taken
