// The demo's Git content: example manifests that `npm start` commits into a local demo repository.
export const DEMO_FILES: Readonly<Record<string, string>> = {
  "apps/shop/web.yaml": `# The storefront: protected in enforce mode (see driftguard.io/mode).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations:
    driftguard.io/mode: enforce
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          ports:
            - containerPort: 80
          resources:
            requests: {cpu: 0.25, memory: 128Mi}
            limits: {memory: 256Mi}
          env:
            - name: LOG_LEVEL
              value: info
          readinessProbe:
            httpGet: {path: /, port: 80}
`,
  "apps/shop/api.yaml": `# The API: scaled by an HPA, so Git leaves replicas out (driftguard then leaves them alone).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:2.4.1
          ports:
            - containerPort: 8080
`,
  "apps/shop/kustomization-example/kustomization.yaml": `# Kustomize inputs are skipped: point driftguard at rendered manifests.
resources: [../web.yaml]
`,
};

export const DEMO_CONFIG = `# driftguard demo configuration (written by \`npm start\` when no --config is given).
mode: audit               # default for every namespace; the web manifest asks for enforce
unmanaged: allow
onUnsynced: allow
sources:
  - name: demo
    url: ./repo
    paths: [apps]
    interval: 30s
exemptions:
  - serviceAccounts: [kube-system/horizontal-pod-autoscaler]
    fields: [replicas]
gitops:
  serviceAccounts: [argocd/argocd-application-controller]
server:
  host: 127.0.0.1
  port: 8443
  tlsCertFile: ../../certs/tls.crt
  tlsKeyFile: ../../certs/tls.key
stateDir: ./state
`;
