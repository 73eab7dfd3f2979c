// A user's favorite steps (metadata.favorite is true) from all their threads, newest first.
// mode: read
// params: userId
// returns: step, feedback
// values: plain
MATCH (s:Step)
WHERE s.favorite = true
MATCH (:User {id: $userId})-[:AUTHORED]->(t:Thread)-[:CONTAINS]->(s)
OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
RETURN properties(s) AS step, properties(f) AS feedback
ORDER BY s.createdAt DESC
