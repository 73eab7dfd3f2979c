// Feedback per item of a turn (the run under a user message): for every item ($by: 'tool' name,
// 'step_name' or llm 'model') the turns that contain it, how many were rated, rated positive (1)
// and negative (0) on their answer.
// mode: read
// params: by, start, end, user
// returns: item, turns, rated, positive, negative
MATCH (u:User)-[:AUTHORED]->(:Thread)-[:CONTAINS]->(m:Step {type: 'user_message'})
      -[:PARENT_OF]->(run:Step {type: 'run'})
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR m.createdAt >= $start) AND ($end IS NULL OR m.createdAt < $end)
CALL (run) {
  OPTIONAL MATCH (run)-[:PARENT_OF]->(:Step {type: 'assistant_message'})<-[:RATED]-(f:Feedback)
  RETURN min(f.value) AS value
}
CALL (run) {
  MATCH (run)-[:PARENT_OF*]->(d:Step)
  WITH CASE $by
         WHEN 'tool' THEN CASE WHEN d.type = 'tool' THEN d.name END
         WHEN 'model' THEN d.model
         WHEN 'step_name' THEN d.name
       END AS item
  WITH item WHERE item IS NOT NULL
  RETURN DISTINCT item
}
RETURN item, count(*) AS turns, count(value) AS rated,
       sum(CASE value WHEN 1 THEN 1 ELSE 0 END) AS positive,
       sum(CASE value WHEN 0 THEN 1 ELSE 0 END) AS negative
ORDER BY turns DESC, item
