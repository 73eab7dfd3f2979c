// Range indexes for the sidebar order (user, last activity, id), favorites and analytics filters.
// mode: write
// params:
CREATE INDEX thread_user_activity IF NOT EXISTS FOR (t:Thread) ON (t.userId, t.lastActivity, t.id);
CREATE INDEX thread_created IF NOT EXISTS FOR (t:Thread) ON (t.createdAt);
CREATE INDEX step_created IF NOT EXISTS FOR (s:Step) ON (s.createdAt);
CREATE INDEX step_type IF NOT EXISTS FOR (s:Step) ON (s.type);
CREATE INDEX step_name IF NOT EXISTS FOR (s:Step) ON (s.name);
CREATE INDEX step_favorite IF NOT EXISTS FOR (s:Step) ON (s.favorite);
CREATE INDEX element_thread IF NOT EXISTS FOR (e:Element) ON (e.threadId);
