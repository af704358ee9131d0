"""The offline chat model: deterministic, local, behind LangChain's chat-model interface."""
