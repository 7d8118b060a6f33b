"""Vocabularies with their Chinese labels."""
from common import vocab
from gateway.routing import PUBLIC, route

VOCABULARIES = vocab.Vocabularies()


@route("GET", "/vocabularies", PUBLIC, response=vocab.Vocabularies, tag="system",
       summary="Code lists with Chinese labels: target groups, kinds, categories, plans, "
               "and the community's compounds, skills and service-menu series")
def vocabularies(ctx):
    return VOCABULARIES.dump(vocab.vocabularies())
