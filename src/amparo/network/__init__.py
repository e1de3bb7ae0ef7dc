"""Networks: persons, accounts, groups and new series as one graph, and what it shows.

``graph`` builds the typed igraph graph from plain data, ``analysis`` projects it to persons
and finds communities (Leiden), centrality, the first sharers of new series and links that
cross borders, ``store`` reads the store into plain data, ``graphml`` writes the annotated
graph for Gephi and similar tools. The cores (``graph``, ``analysis``, ``country``) do no I/O.
"""
