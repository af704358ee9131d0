"""The support loop's pure core: questions people asked, grouped by meaning, as a CSV report and as eval cases.

Plain records in, plain values out: nothing here reads Firestore or serves HTTP, so the answer log, the API, the
CLI and the UI can all feed it (`AskedQuestion` is the one input type).
"""
