import WebApp; import ArgumentParser
