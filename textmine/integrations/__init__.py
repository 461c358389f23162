"""Bridges to the packages textmine's users come from: KeyBERT and BERTopic.

Each submodule imports its package, so import the one you need (the packages are the extras
``textmine[keybert]`` and ``textmine[bertopic]``):

* :mod:`textmine.integrations.keybert`: :class:`~textmine.integrations.keybert.TextmineLLM`, a
  ``keybert.llm.BaseLLM`` backed by textmine's local llama.cpp layer, for ``KeyLLM``.
* :mod:`textmine.integrations.bertopic`: :class:`~textmine.integrations.bertopic.LLMLabels`, a
  BERTopic representation model that writes labels with :class:`~textmine.topics.TopicLabeler`,
  and :func:`~textmine.integrations.bertopic.to_bertopic`, a BERTopic object holding a fitted
  :class:`~textmine.TopicModel`'s topics (``TopicModel.to_bertopic`` calls it).
"""
