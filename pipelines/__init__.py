"""qualquant.pipelines"""
