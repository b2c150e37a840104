-- The engine's own database beside the bot's (POSTGRES_DB): records, ADK sessions, the render queue.
CREATE DATABASE engine OWNER nemobot;
