"""What a study is made of: population, reception places (built-in lists and the user's files,
:mod:`~access30.inputs.sources`), communes, territories, opening hours (weekly or over the four-week
cycle: :mod:`~access30.inputs.schedule`, :mod:`~access30.inputs.hours_fr`), and the one assembler
(:func:`~access30.inputs.assemble.assemble_study`) that turns a request into a
:class:`~access30.inputs.study.Study`."""
