// A sidebar page of a user's threads matching a full-text query over thread names and message
// input/output, newest activity first, after a keyset cursor. $names and $messages are Lucene
// queries built by graph_layer.search.lucene_queries: the words, and the owner's id, which
// narrows the index's work to this user's documents (the exact match is the WHERE below).
// mode: read
// params: userId, names, messages, cursorTime, cursorId, feedback, first
// returns: thread (timestamps as ISO strings: cheaper to decode than DateTime), userIdentifier
// values: plain
// The indexes are eventually consistent: wait for the updates of earlier commits first.
CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()
CALL () {
  CALL db.index.fulltext.queryNodes('thread_name_by_user', $names) YIELD node
  RETURN node AS t
  UNION
  CALL db.index.fulltext.queryNodes('message_search', $messages) YIELD node
  MATCH (t:Thread)-[:CONTAINS]->(node)
  RETURN t
}
WITH DISTINCT t
WHERE t.userId = $userId
  AND t.lastActivity <= $cursorTime
  AND CASE WHEN t.lastActivity < $cursorTime THEN true ELSE t.id < $cursorId END
  AND ($feedback IS NULL
       OR EXISTS { (t)-[:CONTAINS]->(:Step)<-[:RATED]-(f:Feedback) WHERE f.value = $feedback })
WITH t
ORDER BY t.lastActivity DESC, t.id DESC
LIMIT $first + 1
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
RETURN t {.*, createdAt: toString(t.createdAt), lastActivity: toString(t.lastActivity),
       lastMessageAt: toString(t.lastMessageAt)} AS thread,
       u.identifier AS userIdentifier
