"""qualquant.corpus"""
