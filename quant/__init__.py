"""qualquant.quant"""
