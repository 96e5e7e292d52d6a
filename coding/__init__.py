"""qualquant.coding"""
