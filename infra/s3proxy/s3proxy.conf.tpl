# S3Proxy on loopback with a filesystem backend; signatures (v2 and v4) and presigned URLs are checked.
s3proxy.endpoint=http://127.0.0.1:9000
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=local-identity
s3proxy.credential=local-credential
s3proxy.cors-allow-all=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=@DATA@/blobs
