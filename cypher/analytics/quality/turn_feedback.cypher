// Feedback per item of a turn (a run under a user message), from the turn summaries
// (summaries/refresh.cypher): for every item ($by: 'tool' name, 'step_name', llm 'model', or the
// step-type 'path'), the turns that contain it, how many were rated, rated positive (1) and
// negative (0) on their answer. Turns are filtered by their message's creation time and the
// thread's owner.
// mode: read
// reads: summaries
// params: by, start, end, user
// returns: item, turns, rated, positive, negative
CALL () {
  MATCH (run:Step) WHERE $user IS NULL AND run.turnAt IS NOT NULL
  RETURN run
  UNION ALL
  MATCH (:User {identifier: $user})-[:AUTHORED]->(:Thread)-[:CONTAINS]->(run:Step)
  WHERE run.turnAt IS NOT NULL
  RETURN run
}
WITH run WHERE ($start IS NULL OR run.turnAt >= $start) AND ($end IS NULL OR run.turnAt < $end)
WITH run.turnFeedback AS value,
     CASE $by
       WHEN 'tool' THEN run.turnTools
       WHEN 'step_name' THEN run.turnNames
       WHEN 'model' THEN run.turnModels
       WHEN 'path' THEN [run.turnPath]
     END AS items
UNWIND items AS item
RETURN item, count(*) AS turns, count(value) AS rated,
       sum(CASE value WHEN 1 THEN 1 ELSE 0 END) AS positive,
       sum(CASE value WHEN 0 THEN 1 ELSE 0 END) AS negative
ORDER BY turns DESC, item
