"""Vocabularies with their Chinese labels."""
from common import vocab
from gateway.routing import PUBLIC, route


@route("GET", "/vocabularies", PUBLIC, tag="system",
       summary="Code lists with Chinese labels (target groups, kinds, categories, plans)")
def vocabularies(ctx):
    return {name: vocab.labelled(values) for name, values in vocab.VOCABULARIES.items()}
