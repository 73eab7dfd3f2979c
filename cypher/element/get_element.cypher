// One element, only if it belongs to the given thread.
// mode: read
// params: threadId, elementId
// returns: element (properties map)
MATCH (e:Element {id: $elementId})
WHERE e.threadId = $threadId
RETURN properties(e) AS element
